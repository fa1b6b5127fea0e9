/* msg_int.h: what the msg_*.c files share, and only they include. msg_parse() (msg.h)
 * runs the gate (msg_gate.c) on the raw bytes, reads the header facts (msg_header.c)
 * and extracts the body (msg_body.c). The small lexical helpers below read the
 * normalised text, whose every line ends in CRLF. */
#ifndef ILN_MSG_INT_H
#define ILN_MSG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

struct msg;

/* Where the parts of a normalised message lie: the header begins at start and the
 * message runs len bytes from there; hend (end of the top header block) and bstart
 * (start of the body) are offsets from start. */
struct msg_span {
	size_t start;
	size_t len;
	size_t hend;
	size_t bstart;
};

enum msg_ct_kind { MSG_CT_OTHER, MSG_CT_MULTIPART, MSG_CT_MESSAGE };

/* A Content-Type value, classified; the pointers are into the value, not NUL-terminated. */
struct msg_ct {
	enum msg_ct_kind kind;
	const char *sub;       /* subtype token */
	size_t sublen;
	const char *bnd;       /* boundary, multipart only */
	size_t blen;
};

/* msg_gate.c */
/* msg_gate: a normalised copy of raw (CRLF line ends, NUL bytes as spaces) and *sp,
 * when the message passes the gate: not empty, at most MSG_MAX_SIZE bytes, a header
 * block of at most MSG_MAX_HEADER bytes, MIME depth and part count and comment nesting
 * within bounds, a header at all. Otherwise NULL and why says which. Caller frees. */
char *msg_gate(const char *raw, size_t len, struct msg_span *sp, char *why, size_t whysz);
/* msg_why: the one-line reason into why (when there is room for one). */
void msg_why(char *why, size_t whysz, const char *reason);
/* msg_field_line: s starts "Name:" with an RFC 5322 field name, optionally WSP before
 * the colon; *nlen (may be NULL) is the name's length. */
bool msg_field_line(const char *s, size_t len, size_t *nlen);
/* msg_skip_cfws: the index after whitespace and (nested) comments from i, linearly. */
size_t msg_skip_cfws(const char *s, size_t i, size_t n);
/* msg_ct_parse: type, subtype and boundary of the Content-Type value s[0..n). */
void msg_ct_parse(const char *s, size_t n, struct msg_ct *ct);

/* msg_header.c */
/* msg_header_facts: every header fact of struct msg (all but body) from the top header
 * block s[0..hend). The strings are m's own. */
void msg_header_facts(struct msg *m, const char *s, size_t hend);
/* msg_header_from: only the From facts (from, from_name, from_utf8, from_error). */
void msg_header_from(struct msg *m, const char *s, size_t hend);

/* msg_body.c */
/* msg_body_extract: the text body of the message s[0..n) whose body starts at bstart:
 * UTF-8, LF line ends, quotes and signature removed, at most MSG_MAX_BODY bytes, never
 * NULL. Caller frees. */
char *msg_body_extract(const char *s, size_t n, size_t bstart);

/* msg_charset.c */
/* msg_charset_to_utf8: s[0..n) in the MIME charset label (NULL: undeclared) as UTF-8,
 * *outlen bytes (it may hold NUL bytes the text had); ISO-8859-1 and US-ASCII are read as
 * windows-1252, undeclared or unknown-charset text as UTF-8 when valid, else as
 * windows-1252; unreadable bytes become U+FFFD. Never NULL; caller frees. */
char *msg_charset_to_utf8(const char *s, size_t n, const char *label, size_t *outlen);
/* msg_charset_hook: libetpan's extended_charconv, by msg_charset_to_utf8 (to UTF-8 only). */
int msg_charset_hook(const char *tocode, const char *fromcode, const char *str,
		     size_t length, char *result, size_t *result_len);

/* End of the line starting at i (index of its CR, or n). */
static inline size_t
msg_line_end(const char *s, size_t i, size_t n)
{
	const char *p = memchr(s + i, '\r', n - i);

	return p ? (size_t)(p - s) : n;
}

/* Start of the line after the one ending at e. */
static inline size_t
msg_line_next(size_t e, size_t n)
{
	return e + 2 <= n ? e + 2 : n;
}

/* The field name name[0..nlen) is want (lower case), ignoring case. */
static inline bool
msg_name_is(const char *name, size_t nlen, const char *want)
{
	return strlen(want) == nlen && strncasecmp(name, want, nlen) == 0;
}

#endif
