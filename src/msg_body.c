/* msg_body.c: the text body of a message. libetpan parses the (gated) MIME tree; the
 * first text/plain part outside attachments and forwarded messages is taken, else the
 * first text/html one rendered as text (msg_text.c), else nothing. Its transfer encoding
 * is undone, its charset converted to UTF-8 (msg_charset.c; unknown ones read as UTF-8
 * when valid, else windows-1252), control bytes dropped, and quotes and signature cut away. When libetpan gives
 * up, whatever follows the header is taken as plain text. The result is a new string. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "msg.h"
#include "msg_int.h"
#include "util.h"

#define MSG_MAX_DECODED   (4u * MSG_MAX_BODY)  /* bytes of a text part charset-converted */
#define MSG_MAX_HTML      (1024u * 1024)       /* bytes of HTML rendered to text */

/* Copy of s[0..n) without NUL bytes; *outlen its length. */
static char *
nul_free(const char *s, size_t n, size_t *outlen)
{
	char *out = xmalloc(n + 1);
	size_t o = 0;

	for (size_t i = 0; i < n; i++)
		if (s[i] != '\0')
			out[o++] = s[i];
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* Text in charset (NULL: undeclared) as valid UTF-8 without NUL bytes (msg_charset.c:
 * ISO-8859-1 and US-ASCII read as windows-1252, undeclared as UTF-8 when valid, else as
 * windows-1252). */
static char *
to_utf8(const char *s, size_t n, const char *charset)
{
	size_t ulen, tlen;
	char *u = msg_charset_to_utf8(s, n, charset, &ulen), *out = nul_free(u, ulen, &tlen);

	free(u);
	return out;
}

/* Text for the body: LF line ends, no NUL or control bytes but TAB, at most
 * MSG_MAX_BODY bytes cut on a character boundary. */
static char *
body_clean(const char *s)
{
	struct buf b;
	size_t n = strlen(s), i, keep = 0;

	buf_init(&b, MSG_MAX_BODY);
	/* a byte-order mark (U+FEFF) opening the text is no text: the first field follows */
	for (i = 0; n - i >= 3 && memcmp(s + i, "\xef\xbb\xbf", 3) == 0; i += 3)
		;
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r') {
			if (s[i + 1] == '\n')
				continue;
			c = '\n';
		}
		if ((c < ' ' && c != '\n' && c != '\t') || c == 127)
			continue;
		if (buf_addc(&b, (char)c) < 0)
			break;
		if (c < 0x80 || c >= 0xc0)
			keep = b.len - 1;  /* start of the last character */
	}
	if (b.overflow && b.len > 0) {
		/* drop a character the cap cut in two */
		size_t k = (unsigned char)b.data[keep] < 0x80 ? 1 :
		    (unsigned char)b.data[keep] < 0xe0 ? 2 :
		    (unsigned char)b.data[keep] < 0xf0 ? 3 : 4;

		if (keep + k > b.len) {
			b.len = keep;
			b.data[keep] = '\0';
		}
	}
	return buf_steal(&b);
}

static bool
part_is_attachment(struct mailmime *mm)
{
	clistiter *it;

	if (mm->mm_mime_fields == NULL)
		return false;
	for (it = clist_begin(mm->mm_mime_fields->fld_list); it != NULL; it = clist_next(it)) {
		struct mailmime_field *f = clist_content(it);

		if (f->fld_type == MAILMIME_FIELD_DISPOSITION &&
		    f->fld_data.fld_disposition != NULL &&
		    f->fld_data.fld_disposition->dsp_type != NULL &&
		    f->fld_data.fld_disposition->dsp_type->dsp_type ==
		    MAILMIME_DISPOSITION_TYPE_ATTACHMENT)
			return true;
	}
	return false;
}

/* 1 for text/plain (also no Content-Type), 2 for text/html, 0 otherwise. */
static int
part_text_kind(struct mailmime *mm)
{
	struct mailmime_content *ct = mm->mm_content_type;
	struct mailmime_type *t;

	if (ct == NULL)
		return 1;
	t = ct->ct_type;
	if (t == NULL || t->tp_type != MAILMIME_TYPE_DISCRETE_TYPE ||
	    t->tp_data.tp_discrete_type == NULL ||
	    t->tp_data.tp_discrete_type->dt_type != MAILMIME_DISCRETE_TYPE_TEXT ||
	    ct->ct_subtype == NULL)
		return 0;
	if (strcasecmp(ct->ct_subtype, "plain") == 0)
		return 1;
	if (strcasecmp(ct->ct_subtype, "html") == 0)
		return 2;
	return 0;
}

/* Depth-first: the first text/plain and the first text/html outside attachments
 * and forwarded messages. */
static void
find_text(struct mailmime *mm, int depth, struct mailmime **plain, struct mailmime **html)
{
	clistiter *it;
	int kind;

	if (mm == NULL || depth > 2 * MSG_MAX_DEPTH || *plain != NULL)
		return;
	switch (mm->mm_type) {
	case MAILMIME_SINGLE:
		if (part_is_attachment(mm))
			return;
		kind = part_text_kind(mm);
		if (kind == 1)
			*plain = mm;
		else if (kind == 2 && *html == NULL)
			*html = mm;
		break;
	case MAILMIME_MULTIPLE:
		if (mm->mm_data.mm_multipart.mm_mp_list == NULL)
			return;
		for (it = clist_begin(mm->mm_data.mm_multipart.mm_mp_list); it != NULL;
		    it = clist_next(it))
			find_text(clist_content(it), depth + 1, plain, html);
		break;
	default:
		break;
	}
}

/* The decoded, UTF-8 text of a single part; caller frees. */
static char *
part_text(struct mailmime *mm)
{
	struct mailmime_single_fields f;
	struct mailmime_data *d = mm->mm_data.mm_single;
	char *dec = NULL, *out;
	size_t idx = 0, dlen = 0;
	int enc;

	if (d == NULL || d->dt_type != MAILMIME_DATA_TEXT || d->dt_data.dt_text.dt_data == NULL)
		return xstrdup("");
	memset(&f, 0, sizeof(f));
	mailmime_single_fields_init(&f, mm->mm_mime_fields, mm->mm_content_type);
	enc = f.fld_encoding != NULL ? f.fld_encoding->enc_type : MAILMIME_MECHANISM_8BIT;
	if (mailmime_part_parse(d->dt_data.dt_text.dt_data, d->dt_data.dt_text.dt_length, &idx,
	    enc, &dec, &dlen) != MAILIMF_NO_ERROR || dec == NULL) {
		size_t n = d->dt_data.dt_text.dt_length;

		return to_utf8(d->dt_data.dt_text.dt_data,
		    n > MSG_MAX_DECODED ? MSG_MAX_DECODED : n, f.fld_content_charset);
	}
	out = to_utf8(dec, dlen > MSG_MAX_DECODED ? MSG_MAX_DECODED : dlen,
	    f.fld_content_charset);
	mailmime_decoded_part_free(dec);
	return out;
}

char *
msg_body_extract(const char *s, size_t n, size_t bstart)
{
	struct mailmime *mime = NULL, *plain = NULL, *html = NULL;
	char *text, *clean, *out;
	size_t idx = 0;

	if (mailmime_parse(s, n, &idx, &mime) != MAILIMF_NO_ERROR || mime == NULL) {
		/* libetpan gave up: take what follows the header as plain text */
		size_t len = n - bstart > MSG_MAX_DECODED ? MSG_MAX_DECODED : n - bstart;

		text = to_utf8(s + bstart, len, NULL);
	} else {
		if (mime->mm_type == MAILMIME_MESSAGE)
			find_text(mime->mm_data.mm_message.mm_msg_mime, 0, &plain, &html);
		if (plain != NULL)
			text = part_text(plain);
		else if (html != NULL) {
			char *h = part_text(html);
			size_t hl = strlen(h);

			text = msg_html_to_text(h, hl > MSG_MAX_HTML ? MSG_MAX_HTML : hl);
			free(h);
		} else
			text = xstrdup("");
		mailmime_free(mime);
	}
	clean = body_clean(text);
	free(text);
	out = msg_strip_quotes(clean);
	free(clean);
	return out;
}
