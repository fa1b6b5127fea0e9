/* msg_charset.c: a MIME charset's text as UTF-8, read the way mail clients and browsers
 * read it (the WHATWG Encoding Standard's labels): ISO-8859-1, US-ASCII and their aliases
 * are windows-1252, so the curly quotes and dashes Windows clients send under those
 * labels are kept instead of becoming invisible control characters; undeclared 8-bit
 * text is UTF-8 when valid, else windows-1252. glibc's iconv does the converting. Bytes
 * no conversion reads become U+FFFD. msg_charset_hook() is libetpan's extended_charconv,
 * so RFC 2047 words in headers are read the same way. Returned strings are the caller's. */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "msg_int.h"
#include "util.h"

#define CHARSET_NAME_MAX 64

/* The iconv name for a MIME charset label; NULL for UTF-8 itself. */
static const char *
charset_name(const char *label)
{
	static const char *const as_1252[] = {
		"us-ascii", "ascii", "ansi_x3.4-1968", "ansi_x3.4-1986", "iso646-us", "us",
		"iso_646.irv:1991", "cp367", "ibm367", "csascii", "iso-ir-6",
		"iso-8859-1", "iso8859-1", "iso_8859-1", "iso_8859-1:1987", "iso88591",
		"latin1", "latin-1", "l1", "cp819", "ibm819", "iso-ir-100", "csisolatin1",
		"windows-1252", "cp1252", "x-cp1252",
	};

	if (label == NULL || strcasecmp(label, "utf-8") == 0 || strcasecmp(label, "utf8") == 0)
		return NULL;
	for (size_t i = 0; i < nitems(as_1252); i++)
		if (strcasecmp(label, as_1252[i]) == 0)
			return "WINDOWS-1252";
	/* labels iconv knows under another name */
	if (strcasecmp(label, "gb2312") == 0 || strcasecmp(label, "gbk") == 0 ||
	    strcasecmp(label, "x-gbk") == 0)
		return "GB18030";
	if (strcasecmp(label, "ks_c_5601-1987") == 0)
		return "CP949";
	if (strcasecmp(label, "iso-8859-9") == 0 || strcasecmp(label, "latin5") == 0)
		return "WINDOWS-1254";
	if (strcasecmp(label, "tis-620") == 0 || strcasecmp(label, "iso-8859-11") == 0)
		return "CP874";
	if (strcasecmp(label, "shift_jis") == 0 || strcasecmp(label, "sjis") == 0 ||
	    strcasecmp(label, "x-sjis") == 0)
		return "CP932";
	if (strcasecmp(label, "big5") == 0)
		return "BIG5-HKSCS";
	return label;
}

/* s[0..n) in the iconv charset name into b, U+FFFD for what it cannot read; -1 when
 * iconv does not know the charset. */
static int
charset_iconv(const char *name, const char *s, size_t n, struct buf *b)
{
	iconv_t cd = iconv_open("UTF-8", name);
	char out[4096];

	if (cd == (iconv_t)-1)
		return -1;
	while (n > 0) {
		char *in = (char *)s, *o = out;
		size_t left = n, room = sizeof(out);
		size_t r = iconv(cd, &in, &left, &o, &room);
		int e = errno;

		buf_add(b, out, (size_t)(o - out));
		s = in;
		n = left;
		if (r == (size_t)-1 && e != E2BIG) {
			/* EILSEQ or a sequence cut at the end: one byte unreadable */
			buf_adds(b, "\xef\xbf\xbd");
			s++;
			n--;
			iconv(cd, NULL, NULL, NULL, NULL);
		}
		if (b->overflow)
			break;
	}
	{
		/* the shift state's closing bytes (stateful charsets like ISO-2022-JP) */
		char *o = out;
		size_t room = sizeof(out);

		if (iconv(cd, NULL, NULL, &o, &room) != (size_t)-1)
			buf_add(b, out, (size_t)(o - out));
	}
	iconv_close(cd);
	return 0;
}

char *
msg_charset_to_utf8(const char *s, size_t n, const char *label, size_t *outlen)
{
	const char *name = label ? charset_name(label) : NULL;
	struct buf b;

	buf_init(&b, 0);
	if (name != NULL && charset_iconv(name, s, n, &b) == 0)
		goto out;
	/* undeclared, UTF-8, or a label iconv does not know: UTF-8 when valid (invalid
	 * bytes as U+FFFD when it was declared), else windows-1252 */
	buf_reset(&b);
	if (utf8_valid(s, n)) {
		buf_add(&b, s, n);
		goto out;
	}
	if (label != NULL && name == NULL) {
		/* declared UTF-8 and invalid: piece by piece between NUL bytes */
		for (size_t i = 0; i < n;) {
			const char *z = memchr(s + i, '\0', n - i);
			size_t k = z ? (size_t)(z - (s + i)) : n - i;
			char *u = utf8_sanitize(s + i, k);

			buf_adds(&b, u);
			free(u);
			if (z)
				buf_addc(&b, '\0');
			i += k + (z != NULL);
		}
		goto out;
	}
	charset_iconv("WINDOWS-1252", s, n, &b);
out:
	*outlen = b.len;
	return buf_steal(&b);
}

int
msg_charset_hook(const char *tocode, const char *fromcode, const char *str, size_t length,
		 char *result, size_t *result_len)
{
	char *u;
	size_t ulen;

	if (strcasecmp(tocode, "utf-8") != 0 && strcasecmp(tocode, "utf8") != 0)
		return MAIL_CHARCONV_ERROR_UNKNOWN_CHARSET;
	u = msg_charset_to_utf8(str, length, fromcode, &ulen);
	if (ulen > *result_len) {
		free(u);
		return MAIL_CHARCONV_ERROR_MEMORY;
	}
	memcpy(result, u, ulen);
	*result_len = ulen;
	free(u);
	return MAIL_CHARCONV_NO_ERROR;
}
