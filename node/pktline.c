/* pktline: git's pkt-line framing on a transport_channel (include/c2c/pktline.h). */
#include "c2c/pktline.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"

static int fill(pktline_conn *c, size_t want)
{
	if (c->off && c->len - c->off < want) {
		memmove(c->in, c->in + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	while (c->len - c->off < want) {
		size_t n = 0;
		int err = transport_channel_read(c->ch, c->in + c->len, sizeof(c->in) - c->len, &n);
		if (err < 0)
			return err;
		if (n == 0) /* a cut link looks the same: retried like one */
			return err_set(C2C_EIO, "the connection ended before the hub's receive-pack had answered");
		c->len += n;
	}
	return 0;
}

static int read_line(pktline_conn *c, char *line, size_t cap, size_t *len, int *flush, int text)
{
	char hex[5];
	unsigned long n;
	int err;
	if ((err = fill(c, 4)) < 0)
		return err;
	memcpy(hex, c->in + c->off, 4);
	hex[4] = '\0';
	char *end;
	n = strtoul(hex, &end, 16);
	if (*end || (n != 0 && (n < 4 || n - 4 >= cap)))
		return err_set(C2C_EFAIL, "the hub sent a malformed pkt-line ('%.4s')", hex);
	c->off += 4;
	*flush = n == 0;
	*len = 0;
	if (n == 0) {
		if (text)
			line[0] = '\0';
		return 0;
	}
	n -= 4;
	if ((err = fill(c, n)) < 0)
		return err;
	memcpy(line, c->in + c->off, n);
	c->off += n;
	if (text && n && line[n - 1] == '\n')
		n--;
	if (text)
		line[n] = '\0';
	*len = n;
	return 0;
}

int pktline_read(pktline_conn *c, char *line, size_t cap, size_t *len, int *flush)
{
	return read_line(c, line, cap, len, flush, 1);
}

int pktline_read_raw(pktline_conn *c, char *line, size_t cap, size_t *len, int *flush)
{
	return read_line(c, line, cap + 1, len, flush, 0);
}

/* A framed buffer keeps 4 bytes at its start for the pkt-line's length. */
#define FRAME_MAX 65520

int pktline_flush_out(pktline_conn *c)
{
	int err = 0;
	if (c->framed && c->olen <= 4) {
		c->olen = 0;
		return 0;
	}
	if (c->framed) { /* olen <= FRAME_MAX: four hex digits */
		static const char hex[] = "0123456789abcdef";
		for (int i = 0; i < 4; i++)
			c->out[i] = (unsigned char)hex[(c->olen >> (12 - 4 * i)) & 0xf];
	}
	if (c->hold_max && c->olen) {
		if (c->olen > c->hold_max - c->nheld) {
			c->held_over = 1;
			return err_set(C2C_EFAIL, "more than %zu bytes to hold", c->hold_max);
		}
		memcpy(c->held + c->nheld, c->out, c->olen);
		c->nheld += c->olen;
	} else if (c->olen) {
		err = transport_channel_write(c->ch, c->out, c->olen);
	}
	c->olen = 0;
	return err;
}

int pktline_hold(pktline_conn *c, size_t max)
{
	pktline_unhold(c);
	if (!(c->held = malloc(max ? max : 1)))
		return ERR_OOM();
	c->hold_max = max;
	return 0;
}

void pktline_unhold(pktline_conn *c)
{
	if (c->held_over) {
		pktline_pack_end(c, 0);
		c->olen = 0;
		c->framed = 0;
	}
	free(c->held);
	c->held = NULL;
	c->nheld = c->hold_max = 0;
	c->held_over = 0;
}

int pktline_frame(pktline_conn *c, int on)
{
	int err = pktline_flush_out(c);
	c->framed = on;
	return err;
}

int pktline_put(pktline_conn *c, const void *d, size_t n)
{
	const unsigned char *p = d;
	int err;
	if (c->sha) {
		EVP_DigestUpdate(c->sha, p, n);
		c->packpos += n;
	}
	size_t cap = c->framed ? FRAME_MAX : sizeof(c->out);
	while (n) {
		if (c->framed && c->olen == 0)
			c->olen = 4;
		size_t k = cap - c->olen < n ? cap - c->olen : n;
		memcpy(c->out + c->olen, p, k);
		c->olen += k;
		p += k;
		n -= k;
		if (c->olen == cap && (err = pktline_flush_out(c)) < 0)
			return err;
	}
	return 0;
}

int pktline_put_line(pktline_conn *c, const char *s, size_t n)
{
	char hdr[5];
	snprintf(hdr, sizeof(hdr), "%04zx", n + 4);
	int err = pktline_put(c, hdr, 4);
	return err < 0 ? err : pktline_put(c, s, n);
}

int pktline_pack_begin(pktline_conn *c)
{
	c->packpos = 0;
	if (!(c->sha = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(c->sha, EVP_sha1(), NULL))
		return err_set(C2C_ENOMEM, "starting a pack checksum");
	return 0;
}

int pktline_pack_end(pktline_conn *c, int put_trailer)
{
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned int sumlen = 0;
	int err = 0;
	if (put_trailer && c->sha) {
		EVP_DigestFinal_ex(c->sha, sum, &sumlen);
		EVP_MD_CTX_free(c->sha);
		c->sha = NULL; /* the trailer is not part of what it sums */
		err = pktline_put(c, sum, sumlen);
	}
	EVP_MD_CTX_free(c->sha);
	c->sha = NULL;
	return err;
}

int pktline_put_text(pktline_conn *c, const char *fmt, ...)
{
	char line[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return err_set(C2C_EFAIL, "formatting a line");
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	return pktline_put_line(c, line, (size_t)n);
}

int pktline_read_report(pktline_conn *c, const char *ref, char *why, size_t size, int *unpack_failed)
{
	char line[4096], ng[600] = "", msg[2048];
	size_t len, k;
	int err, flush, unpack_ok = 0, ref_ok = 0;
	why[0] = '\0';
	*unpack_failed = 0;
	/* "unpack ok", then "ok REF" or "ng REF why" */
	for (;;) {
		if ((err = pktline_read(c, line, sizeof(line), &len, &flush)) < 0)
			return err;
		if (flush)
			break;
		if (!strcmp(line, "unpack ok"))
			unpack_ok = 1;
		else if (!strncmp(line, "unpack ", 7))
			snprintf(ng, sizeof(ng), "%s: it could not unpack what was sent (%.400s)", ref, line + 7);
		else if (!strncmp(line, "ok ", 3) && !strcmp(line + 3, ref))
			ref_ok = 1;
		else if (!strncmp(line, "ng ", 3) && !ng[0])
			snprintf(ng, sizeof(ng), "%.500s", line + 3);
	}
	if (unpack_ok && ref_ok)
		return 0;
	*unpack_failed = !unpack_ok;
	/* The hooks' messages (stderr) say why. */
	k = transport_channel_stderr(c->ch, msg, sizeof(msg));
	while (k && (msg[k - 1] == '\n' || msg[k - 1] == ' '))
		msg[--k] = '\0';
	for (char *p = msg; *p; p++)
		if (*p == '\n')
			*p = ' ';
	snprintf(why, size, "%s%s%s%s", ng[0] ? ng : ref, ng[0] ? "" : ": no report", msg[0] ? "; it said: " : "", msg);
	return 0;
}
