/* placeholder until the real implementation lands */
#include "c2c/keys.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stdio.h>
int keys_create(const char *dir) { char p[4096]; snprintf(p, sizeof p, "%s/keys", dir); mkdir(p, 0700); snprintf(p, sizeof p, "%s/keys/id_ed25519", dir); FILE *f = fopen(p, "w"); if (f) fclose(f); chmod(p, 0600); return 0; }
int keys_public(const char *dir, char **out) { (void)dir; *out = NULL; return -2; }
int keys_fingerprint(const char *dir, char **out) { (void)dir; *out = NULL; return -2; }
