/* pktline: git's pkt-line framing (gitprotocol-common(5)) on a
 * transport_channel, for c2c's own send-pack (push.c).
 *
 * Input is buffered; output is buffered too and goes out on
 * pktline_flush_out or when the buffer fills. While a pack is sent
 * (pktline_pack_begin .. pktline_pack_end) every byte put also feeds the
 * pack's running SHA-1 and counts its position. */
#ifndef C2C_PKTLINE_H
#define C2C_PKTLINE_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "c2c/transport.h"

typedef struct {
	transport_channel *ch;
	char in[65536];
	size_t off, len;
	/* output: buffered, with the pack's running SHA-1 while it is sent */
	unsigned char out[65536];
	size_t olen;
	EVP_MD_CTX *sha;
	uint64_t packpos; /* bytes of the pack sent so far */
	int framed;       /* pktline_frame: raw output goes out as pkt-lines */
	/* pktline_hold: output kept here instead of sent */
	unsigned char *held;
	size_t nheld, hold_max;
	int held_over; /* more than hold_max was put */
} pktline_conn;

/* One pkt-line into LINE (NUL-terminated, the final LF dropped; *LEN its
 * length); *FLUSH set for "0000". A line that does not fit CAP, or a bad
 * length, is C2C_EFAIL; a connection that ends first, C2C_EIO. */
int pktline_read(pktline_conn *c, char *line, size_t cap, size_t *len, int *flush);
/* The same, but the line is kept as it came (binary data: no LF
 * dropped, no NUL added). */
int pktline_read_raw(pktline_conn *c, char *line, size_t cap, size_t *len, int *flush);
/* With ON, what pktline_put buffers from now on goes out as pkt-lines of
 * at most 65520 bytes (data framed for c2c's sync exchange, exchange.h);
 * with 0, raw again. Either way what was buffered before is sent first. */
int pktline_frame(pktline_conn *c, int on);
/* Buffer N bytes of D for sending (raw: no framing). */
int pktline_put(pktline_conn *c, const void *d, size_t n);
/* Buffer S (N bytes) as one pkt-line. */
int pktline_put_line(pktline_conn *c, const char *s, size_t n);
/* Buffer one text pkt-line, printf-style, with its LF (at most 4 KB:
 * longer is cut). */
int pktline_put_text(pktline_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* git receive-pack's report for REF (after the pack): 0 with WHY "" when
 * REF was updated; else 0 with WHY saying why (its "ng" reason, or that it
 * could not unpack what was sent, then "; it said: " and its hooks'
 * messages from stderr, on one line), and *UNPACK_FAILED set when it
 * could not unpack. A connection that fails is the error. */
int pktline_read_report(pktline_conn *c, const char *ref, char *why, size_t size, int *unpack_failed);
/* Send what is buffered. */
int pktline_flush_out(pktline_conn *c);
/* From now on, what would be sent is kept in C->held (C->nheld bytes), up
 * to MAX bytes: more is C2C_EFAIL with C->held_over set, and C is then
 * to be reset with pktline_unhold. */
int pktline_hold(pktline_conn *c, size_t max);
/* Send on the channel again; forget what was held, and what was buffered
 * (framing, a pack's checksum) when the hold ran over. */
void pktline_unhold(pktline_conn *c);

/* Start the pack's checksum and position (C2C_ENOMEM); end it, putting
 * the SHA-1 trailer when PUT_TRAILER (else only freeing it). */
int pktline_pack_begin(pktline_conn *c);
int pktline_pack_end(pktline_conn *c, int put_trailer);

#endif
