/* The schema migrations embedded at build time from schema/NNN-*.sql. */
#ifndef C2C_SCHEMA_SQL_H
#define C2C_SCHEMA_SQL_H

typedef struct {
	int version;      /* the file's leading number: PRAGMA user_version after it */
	const char *name; /* the file name, for messages */
	const char *sql;  /* the file's text */
} schema_migration;

/* In ascending version order. */
extern const schema_migration schema_migrations[];
extern const unsigned schema_nmigrations;

#endif
