/* test_mail_compose.c: outgoing mail, checked by re-parsing it with libetpan: header set
 * and order, threading, RFC 2047 and quoted-printable round trips, CRLF normalisation,
 * header injection (BLNS and line-break payloads) and address validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libetpan/libetpan.h>

#include "mail_compose.h"
#include "tmpl.h"
#include "util.h"

#define BLNS_DEFAULT "../shared/corpus/strings/blns.txt"
#define NELEM(a) nitems(a)

static const char *const one_to[] = { "ana@example.org" };

static struct mail_out
base_mail(void)
{
	struct mail_out m = {
		.from_name = "ilnbot",
		.from_addr = "bot@example.org",
		.to = one_to, .nto = 1,
		.subject = "Hello",
		.message_id = "<0123abcd@example.org>",
		.date = 1790000000,
		.auto_submitted = "auto-replied",
		.body = "Hi.\n",
	};
	return m;
}

static char *
compose_ok(const struct mail_out *m, size_t *len)
{
	char err[256];
	char *s = mail_compose(m, len, err, sizeof(err));

	if (s == NULL)
		fail_msg("mail_compose: %s", err);
	assert_int_equal(strlen(s), *len);
	return s;
}

/* Wire checks: CRLF only, header lines <= 998 octets of printable ASCII, QP body lines
 * <= 76 without trailing white space, ends with CRLF. */
static void
check_wire(const char *s, size_t len)
{
	bool in_body = false;
	size_t i = 0;

	assert_true(len >= 2 && s[len - 2] == '\r' && s[len - 1] == '\n');
	while (i < len) {
		size_t e = i;

		while (e < len && s[e] != '\r' && s[e] != '\n')
			e++;
		if (e >= len || s[e] != '\r' || e + 1 >= len || s[e + 1] != '\n')
			fail_msg("bare CR or LF at offset %zu", e);
		if (e - i > 998)
			fail_msg("line of %zu octets", e - i);
		for (size_t k = i; k < e; k++)
			if ((unsigned char)s[k] < 0x20 || (unsigned char)s[k] > 0x7e) {
				if (!in_body || s[k] != '\t')
					fail_msg("byte 0x%02x at offset %zu", (unsigned char)s[k], k);
			}
		if (in_body) {
			if (e - i > 76)
				fail_msg("QP line of %zu chars", e - i);
			if (e > i && (s[e - 1] == ' ' || s[e - 1] == '\t'))
				fail_msg("trailing white space in QP line");
		}
		if (e == i && !in_body)
			in_body = true;
		i = e + 2;
	}
	assert_true(in_body);
}

static const char *
field_name(const struct mailimf_field *f)
{
	switch (f->fld_type) {
	case MAILIMF_FIELD_ORIG_DATE: return "Date";
	case MAILIMF_FIELD_FROM: return "From";
	case MAILIMF_FIELD_SENDER: return "Sender";
	case MAILIMF_FIELD_TO: return "To";
	case MAILIMF_FIELD_CC: return "Cc";
	case MAILIMF_FIELD_BCC: return "Bcc";
	case MAILIMF_FIELD_REPLY_TO: return "Reply-To";
	case MAILIMF_FIELD_SUBJECT: return "Subject";
	case MAILIMF_FIELD_MESSAGE_ID: return "Message-ID";
	case MAILIMF_FIELD_IN_REPLY_TO: return "In-Reply-To";
	case MAILIMF_FIELD_REFERENCES: return "References";
	case MAILIMF_FIELD_OPTIONAL_FIELD: return f->fld_data.fld_optional_field->fld_name;
	default: return "?";
	}
}

static struct mailimf_fields *
parse_fields(const char *s, size_t len)
{
	struct mailimf_fields *f = NULL;
	size_t idx = 0;

	assert_int_equal(mailimf_fields_parse(s, len, &idx, &f), MAILIMF_NO_ERROR);
	/* the parser must have stopped exactly at the blank line */
	assert_true(idx + 2 <= len);
	assert_memory_equal(s + idx, "\r\n", 2);
	return f;
}

/* The field names, in order, must be want[] (NULL-terminated). */
static void
check_field_names(struct mailimf_fields *f, const char *const *want)
{
	size_t i = 0;

	for (clistiter *it = clist_begin(f->fld_list); it; it = clist_next(it), i++) {
		const char *got = field_name(clist_content(it));

		if (want[i] == NULL)
			fail_msg("extra field %s", got);
		if (strcasecmp(got, want[i]) != 0)
			fail_msg("field %zu: got %s, want %s", i, got, want[i]);
	}
	if (want[i] != NULL)
		fail_msg("missing field %s", want[i]);
}

static struct mailimf_field *
find_field(struct mailimf_fields *f, int type)
{
	for (clistiter *it = clist_begin(f->fld_list); it; it = clist_next(it)) {
		struct mailimf_field *x = clist_content(it);

		if (x->fld_type == type)
			return x;
	}
	return NULL;
}

/* Unfold (drop CRLF before white space) and decode RFC 2047 words with libetpan. */
static char *
decode_phrase(const char *v)
{
	struct buf b;
	char *res = NULL, *out;
	size_t idx = 0;

	buf_init(&b, 0);
	for (; *v; v++)
		if (*v != '\r' && *v != '\n')
			buf_addc(&b, *v);
	if (b.len == 0) {
		buf_free(&b);
		return xstrdup("");
	}
	assert_int_equal(mailmime_encoded_phrase_parse("utf-8", b.data, b.len, &idx, "utf-8",
						       &res), MAILIMF_NO_ERROR);
	out = xstrdup(res);
	free(res);
	buf_free(&b);
	return out;
}

/* The test's own statement of the header-text rule: line breaks and other controls are
 * spaces, runs of spaces are one, trimmed, cut to cap bytes on a character boundary. */
static char *
expect_clean(const char *in, size_t cap)
{
	char *s = utf8_sanitize(in, strlen(in));
	struct buf b;
	size_t i = 0, n = strlen(s), cut = 0;

	buf_init(&b, 0);
	buf_adds(&b, "");
	while (i < n) {
		const unsigned char *p = (const unsigned char *)s + i;
		size_t k = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
		bool sep = *p <= 0x20 || *p == 0x7f || (k == 2 && *p == 0xc2 && p[1] < 0xa0) ||
			   (k == 3 && p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9));

		if (sep) {
			if (b.len && b.data[b.len - 1] != ' ')
				buf_addc(&b, ' ');
		} else {
			buf_add(&b, p, k);
		}
		i += k;
	}
	while (b.len && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	/* cut on a character boundary */
	for (i = 0; i < b.len;) {
		unsigned char c = (unsigned char)b.data[i];
		size_t k = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;

		if (i + k > cap)
			break;
		i += k;
		cut = i;
	}
	b.data[cut] = '\0';
	b.len = cut;
	while (b.len && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	free(s);
	return buf_steal(&b);
}

static char *
qp_decode_body(const char *msg)
{
	const char *body = strstr(msg, "\r\n\r\n");
	char *dec = NULL, *out;
	size_t dl = 0, idx = 0;

	assert_non_null(body);
	body += 4;
	assert_int_equal(mailmime_part_parse(body, strlen(body), &idx,
					     MAILMIME_MECHANISM_QUOTED_PRINTABLE, &dec, &dl),
			 MAILIMF_NO_ERROR);
	out = xstrndup(dec, dl);
	mailmime_decoded_part_free(dec);
	return out;
}

/* ---- header set, order, threading ---- */

static void
test_headers_full(void **state)
{
	const char *const to[] = { "ana@example.org", "bo.b+tag@mail.example.net" };
	const char *const cc[] = { "coord@example.org" };
	const char *const rt[] = { "coord@example.org", "ana@example.org" };
	const struct mail_header extra[] = {
		{ "Precedence", "bulk" },
		{ "List-Id", "\"Mentoring\" <mentoring.example.org>" },
		{ "List-Unsubscribe", "<mailto:bot@example.org?subject=unsubscribe>" },
	};
	const char *const want[] = {
		"Date", "From", "To", "Cc", "Reply-To", "Subject", "Message-ID", "In-Reply-To",
		"References", "Auto-Submitted", "X-Loop", "X-Auto-Response-Suppress",
		"Precedence", "List-Id", "List-Unsubscribe", "MIME-Version", "Content-Type",
		"Content-Transfer-Encoding", NULL,
	};
	struct mail_out m = base_mail();
	struct mailimf_fields *f;
	struct mailimf_field *x;
	size_t len;
	char *s;

	m.from_name = "The \"ilnbot\" \\ robot";
	m.to = to; m.nto = 2;
	m.cc = cc; m.ncc = 1;
	m.reply_to = rt; m.nreply_to = 2;
	m.in_reply_to = "<parent@example.net>";
	m.references = "<root@example.net> <parent@example.net>";
	m.extra = extra; m.nextra = NELEM(extra);
	s = compose_ok(&m, &len);
	check_wire(s, len);
	f = parse_fields(s, len);
	check_field_names(f, want);

	assert_int_equal(strncmp(s, "Date: Mon, 21 Sep 2026 14:13:20 +0000\r\n", 39), 0);
	assert_non_null(strstr(s, "\r\nFrom: \"The \\\"ilnbot\\\" \\\\ robot\" "
			       "<bot@example.org>\r\n"));
	assert_non_null(strstr(s, "\r\nTo: ana@example.org, bo.b+tag@mail.example.net\r\n"));
	assert_non_null(strstr(s, "\r\nAuto-Submitted: auto-replied\r\n"));
	assert_non_null(strstr(s, "\r\nX-Loop: bot@example.org\r\n"));
	assert_non_null(strstr(s, "\r\nX-Auto-Response-Suppress: All\r\n"));
	assert_non_null(strstr(s, "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; "
			       "charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable"
			       "\r\n\r\n"));

	x = find_field(f, MAILIMF_FIELD_TO);
	assert_int_equal(clist_count(x->fld_data.fld_to->to_addr_list->ad_list), 2);
	x = find_field(f, MAILIMF_FIELD_MESSAGE_ID);
	assert_string_equal(x->fld_data.fld_message_id->mid_value, "0123abcd@example.org");
	x = find_field(f, MAILIMF_FIELD_IN_REPLY_TO);
	assert_string_equal(clist_content(clist_begin(x->fld_data.fld_in_reply_to->mid_list)),
			    "parent@example.net");
	x = find_field(f, MAILIMF_FIELD_REFERENCES);
	assert_int_equal(clist_count(x->fld_data.fld_references->mid_list), 2);
	mailimf_fields_free(f);
	free(s);
}

static void
test_headers_minimal(void **state)
{
	const char *const want[] = {
		"Date", "From", "To", "Subject", "Message-ID", "Auto-Submitted", "X-Loop",
		"X-Auto-Response-Suppress", "MIME-Version", "Content-Type",
		"Content-Transfer-Encoding", NULL,
	};
	struct mail_out m = base_mail();
	struct mailimf_fields *f;
	size_t len;
	char *s;

	m.from_name = NULL;
	m.auto_submitted = "auto-generated";
	m.body = NULL;
	s = compose_ok(&m, &len);
	check_wire(s, len);
	f = parse_fields(s, len);
	check_field_names(f, want);
	assert_non_null(strstr(s, "\r\nFrom: bot@example.org\r\n"));
	assert_non_null(strstr(s, "\r\nAuto-Submitted: auto-generated\r\n"));
	assert_null(strstr(s, "Precedence"));
	/* empty body: the header block and its blank line, nothing more */
	assert_int_equal(strcmp(s + len - 4, "\r\n\r\n"), 0);
	mailimf_fields_free(f);
	free(s);
}

static void
test_references_folded(void **state)
{
	struct mail_out m = base_mail();
	struct mailimf_fields *f;
	struct mailimf_field *x;
	struct buf refs;
	clistiter *it;
	size_t len;
	char *s, *h, *e;
	int i;

	buf_init(&refs, 0);
	for (i = 0; i < 30; i++)
		buf_printf(&refs, "<id%02d.%s@host%02d.example.net> ", i,
			   "aaaaaaaaaaaaaaaaaaaa", i);
	/* junk the header may have carried: dropped, never copied */
	buf_adds(&refs, "\r\nBcc: evil@example.com <bad id@x> <no-at> <a@b>\r\n\r\nX: y");
	m.in_reply_to = "<id29.aaaaaaaaaaaaaaaaaaaa@host29.example.net>";
	m.references = refs.data;
	s = compose_ok(&m, &len);
	check_wire(s, len);
	h = strstr(s, "\r\nReferences: ");
	assert_non_null(h);
	e = strstr(h + 2, "\r\nAuto-Submitted:");
	assert_non_null(e);
	/* folded: several continuation lines, each within 78 columns */
	for (char *p = h + 2; p < e;) {
		char *nl = strstr(p, "\r\n");

		assert_true(nl - p <= 78);
		p = nl + 2;
		if (p < e)
			assert_true(*p == ' ');
	}
	assert_null(strstr(s, "Bcc"));
	assert_null(strstr(s, "evil"));
	f = parse_fields(s, len);
	x = find_field(f, MAILIMF_FIELD_REFERENCES);
	assert_non_null(x);
	/* the first id and the last 19 valid ones (a@b is the last) */
	assert_int_equal(clist_count(x->fld_data.fld_references->mid_list), MAIL_MAX_REFS);
	it = clist_begin(x->fld_data.fld_references->mid_list);
	assert_string_equal(clist_content(it), "id00.aaaaaaaaaaaaaaaaaaaa@host00.example.net");
	it = clist_next(it);
	assert_string_equal(clist_content(it), "id12.aaaaaaaaaaaaaaaaaaaa@host12.example.net");
	assert_string_equal(clist_content(clist_end(x->fld_data.fld_references->mid_list)),
			    "a@b");
	mailimf_fields_free(f);
	free(s);
	buf_free(&refs);
}

/* ---- RFC 2047 ---- */

static const struct ew_case {
	const char *name;
	const char *in;
	bool plain;          /* expected to stay as is */
} ew_cases[] = {
	{ "empty", "", true },
	{ "ascii", "Your match for round 3", true },
	{ "ascii_specials", "a \"quoted\" (comment) <x> [y] \\z; ok: yes", true },
	{ "latin1", "Café für Zoë", false },
	{ "cjk", "日本語のテキストと中文字符和한국어", false },
	{ "emoji", "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀", false },
	{ "mixed_long", "Réunion: « mentorat » — la prochaine séance aura lieu à Genève, "
			"près de la gare Cornavin, avec café et croissants pour tous", false },
	{ "looks_encoded", "=?utf-8?b?DQo=?=", false },
	{ "looks_encoded_q", "hi =?ISO-8859-1?Q?a=0D=0Ab?= there", false },
	{ "long_word", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", false },
	{ "controls", "a\tb\x01" "c\x7f", false },
	{ "bad_utf8", "a\xff\xfe" "b", false },
};

static void
test_encode_word(void **state)
{
	for (size_t i = 0; i < NELEM(ew_cases); i++) {
		const struct ew_case *c = &ew_cases[i];
		char *enc = mail_encode_word(c->in), *dec, *want;
		char *w = enc;

		want = utf8_sanitize(c->in, strlen(c->in));
		if (c->plain) {
			assert_string_equal(enc, c->in);
		} else {
			assert_true(strncmp(enc, "=?UTF-8?B?", 10) == 0);
			/* each word <= 75 chars, only base64 inside, and each decodes by itself
			 * to whole UTF-8 characters */
			while (*w) {
				size_t n = strcspn(w, " ");
				char *one = xstrndup(w, n), *d;

				assert_true(n <= 75 && n + strlen("Subject: ") <= 76);
				assert_true(strncmp(one, "=?UTF-8?B?", 10) == 0);
				assert_string_equal(one + n - 2, "?=");
				assert_int_equal(strspn(one + 10, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					"abcdefghijklmnopqrstuvwxyz0123456789+/="), n - 12);
				d = decode_phrase(one);
				assert_true(utf8_valid(d, strlen(d)));
				free(d);
				free(one);
				w += n;
				while (*w == ' ')
					w++;
			}
		}
		dec = decode_phrase(enc);
		if (strcmp(dec, want) != 0)
			fail_msg("%s: decoded [%s], want [%s]", c->name, dec, want);
		free(dec);
		free(want);
		free(enc);
	}
}

/* The Subject and the display name, through the whole message and back. */
static void
check_roundtrip(const char *subject, const char *name)
{
	const char *const want_names[] = {
		"Date", "From", "To", "Subject", "Message-ID", "Auto-Submitted", "X-Loop",
		"X-Auto-Response-Suppress", "MIME-Version", "Content-Type",
		"Content-Transfer-Encoding", NULL,
	};
	struct mail_out m = base_mail();
	struct mailimf_fields *f;
	struct mailimf_field *x;
	struct mailimf_mailbox *mb;
	struct mailimf_address *ad;
	char *s, *dec, *want;
	size_t len;

	m.subject = subject;
	m.from_name = name;
	s = compose_ok(&m, &len);
	check_wire(s, len);
	f = parse_fields(s, len);
	check_field_names(f, want_names);

	x = find_field(f, MAILIMF_FIELD_SUBJECT);
	assert_non_null(x);
	dec = decode_phrase(x->fld_data.fld_subject->sbj_value);
	want = expect_clean(subject, MAIL_MAX_SUBJECT);
	if (strcmp(dec, want) != 0)
		fail_msg("subject: decoded [%s], want [%s]", dec, want);
	assert_null(strpbrk(dec, "\r\n"));
	free(dec);
	free(want);

	x = find_field(f, MAILIMF_FIELD_FROM);
	assert_non_null(x);
	assert_int_equal(clist_count(x->fld_data.fld_from->frm_mb_list->mb_list), 1);
	mb = clist_content(clist_begin(x->fld_data.fld_from->frm_mb_list->mb_list));
	assert_string_equal(mb->mb_addr_spec, "bot@example.org");
	want = expect_clean(name, MAIL_MAX_NAME);
	if (*want == '\0') {
		assert_null(mb->mb_display_name);
	} else {
		assert_non_null(mb->mb_display_name);
		dec = decode_phrase(mb->mb_display_name);
		if (strcmp(dec, want) != 0)
			fail_msg("name: decoded [%s], want [%s]", dec, want);
		free(dec);
	}
	free(want);

	x = find_field(f, MAILIMF_FIELD_TO);
	assert_non_null(x);
	assert_int_equal(clist_count(x->fld_data.fld_to->to_addr_list->ad_list), 1);
	ad = clist_content(clist_begin(x->fld_data.fld_to->to_addr_list->ad_list));
	assert_int_equal(ad->ad_type, MAILIMF_ADDRESS_MAILBOX);
	assert_string_equal(ad->ad_data.ad_mailbox->mb_addr_spec, "ana@example.org");
	mailimf_fields_free(f);
	free(s);
}

static void
test_subject_roundtrip(void **state)
{
	for (size_t i = 0; i < NELEM(ew_cases); i++)
		check_roundtrip(ew_cases[i].in, ew_cases[i].in);
}

static void
test_long_subject(void **state)
{
	struct buf b;

	/* plain ASCII words: folded at spaces; many é: encoded words; cut at 900 bytes */
	buf_init(&b, 0);
	for (int i = 0; i < 300; i++)
		buf_adds(&b, "word ");
	check_roundtrip(b.data, b.data);
	buf_reset(&b);
	for (int i = 0; i < 700; i++)
		buf_adds(&b, "é");
	check_roundtrip(b.data, b.data);
	buf_reset(&b);
	for (int i = 0; i < 5000; i++)
		buf_adds(&b, "x");
	check_roundtrip(b.data, b.data);
	buf_free(&b);
}

/* ---- quoted-printable body ---- */

static const struct qp_case {
	const char *name;
	const char *in;
	const char *want;   /* decoded; NULL = in with LF made CRLF and a final CRLF */
} qp_cases[] = {
	{ "simple", "Hello,\nworld.\n", NULL },
	{ "no_final_newline", "abc", "abc\r\n" },
	{ "empty", "", "" },
	{ "equals", "a=b == c=\n=\n", NULL },
	{ "trailing_space", "trail \nspaces   \ntab\t\n \n", NULL },
	{ "dot_and_from", ".\n..x\nFrom me\nFrom\nfrom x\n>From\n", NULL },
	{ "non_ascii", "Grüße, Zoë — 日本 😀\n", NULL },
	{ "bare_lf_cr", "a\rb\nc\r\nd\n\re\r\r\nf", "a\r\nb\r\nc\r\nd\r\n\r\ne\r\n\r\nf\r\n" },
	{ "blank_lines", "\n\n\nx\n\n", NULL },
	{ "invalid_utf8", "a\xff" "b\n", "a\xef\xbf\xbd" "b\r\n" },
	{ "controls", "a\x01\x7f" "b\x1b[0m\n", NULL },
};

static char *
crlf(const char *in)
{
	struct buf b;

	buf_init(&b, 0);
	for (; *in; in++) {
		if (*in == '\n')
			buf_addc(&b, '\r');
		buf_addc(&b, *in);
	}
	if (b.len && b.data[b.len - 1] != '\n')
		buf_adds(&b, "\r\n");
	return buf_steal(&b);
}

static void
check_qp(const char *name, const char *in, const char *want)
{
	struct mail_out m = base_mail();
	char *s, *dec;
	size_t len;

	m.body = in;
	s = compose_ok(&m, &len);
	check_wire(s, len);
	dec = qp_decode_body(s);
	if (strcmp(dec, want) != 0)
		fail_msg("%s: decoded [%s], want [%s]", name, dec, want);
	free(dec);
	free(s);
}

static void
test_qp_table(void **state)
{
	for (size_t i = 0; i < NELEM(qp_cases); i++) {
		char *want = qp_cases[i].want ? xstrdup(qp_cases[i].want) : crlf(qp_cases[i].in);

		check_qp(qp_cases[i].name, qp_cases[i].in, want);
		free(want);
	}
}

static void
test_qp_long_lines(void **state)
{
	static const char *const units[] = { "x", " ", "=", "é", "\t", ".", "😀", "ab " };
	struct buf in;

	buf_init(&in, 0);
	/* every line length from 60 to 240 for each kind of unit, ending in each way */
	for (size_t u = 0; u < NELEM(units); u++) {
		for (int n = 60; n < 240; n += 7) {
			char *want;

			buf_reset(&in);
			for (int k = 0; k < n; k++)
				buf_adds(&in, units[u]);
			buf_adds(&in, "\n.end  \nFrom x");
			want = crlf(in.data);
			check_qp("long", in.data, want);
			free(want);
		}
	}
	buf_free(&in);
}

static void
test_qp_random(void **state)
{
	static const char *const atoms[] = {
		"a", "Z", " ", "\t", "=", ".", "From ", "\n", "\r", "\r\n", "é", "€", "😀",
		"=3D", "=\n", "xxxxxxxxxxxxxxxxxxxx",
	};
	uint32_t seed = 12345;
	struct buf in, want;

	buf_init(&in, 0);
	buf_init(&want, 0);
	for (int round = 0; round < 300; round++) {
		int n;

		buf_reset(&in);
		buf_reset(&want);
		seed = seed * 1103515245u + 12345u;
		n = (int)(seed >> 16) % 200;
		for (int k = 0; k < n; k++) {
			const char *a;

			seed = seed * 1103515245u + 12345u;
			a = atoms[(seed >> 16) % NELEM(atoms)];
			buf_adds(&in, a);
		}
		/* expected: every CR, LF or CRLF is one CRLF, and a final CRLF */
		for (size_t k = 0; k < in.len; k++) {
			if (in.data[k] == '\r') {
				buf_adds(&want, "\r\n");
				if (in.data[k + 1] == '\n')
					k++;
			} else if (in.data[k] == '\n') {
				buf_adds(&want, "\r\n");
			} else {
				buf_addc(&want, in.data[k]);
			}
		}
		if (want.len && want.data[want.len - 1] != '\n')
			buf_adds(&want, "\r\n");
		check_qp("random", in.data, want.data ? want.data : "");
	}
	buf_free(&in);
	buf_free(&want);
}

/* ---- header injection ---- */

static const char *const payloads[] = {
	"x\r\nBcc: victim@example.com",
	"x\nBcc: victim@example.com",
	"x\rBcc: victim@example.com",
	"x\r\n\r\nbody injected",
	"x\r\n.\r\nMAIL FROM:<a@b>",
	"x\x00" "Bcc: hidden@example.com",
	"x\xc2\x85" "Bcc: nel@example.com",
	"x\xe2\x80\xa8" "Bcc: ls@example.com",
	"x\xe2\x80\xa9" "Bcc: ps@example.com",
	"=?utf-8?b?DQo=?=Bcc: enc@example.com",
	"=?utf-8?b?DQpCY2M6IGVuY0BleGFtcGxlLmNvbQ==?=",
	"=?UTF-8?Q?a=0D=0ABcc:_q@example.com?=",
	"\r\n Folded: continuation",
	"\t\r\n\t",
	"\"quoted\r\nname\" <evil@example.com>, other@example.com",
	"name <evil@example.com>",
	"\\\"\\\r\n\\",
	"\x1b[31mred\x1b[0m\x07\x08",
	"%n%s%x${x}$(x){{x}}",
	"\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n",
};

static void
test_injection(void **state)
{
	const char *path = getenv("ILNBOT_BLNS") ? getenv("ILNBOT_BLNS") : BLNS_DEFAULT;
	char *text = NULL;
	size_t len, lines = 0;

	for (size_t i = 0; i < NELEM(payloads); i++) {
		check_roundtrip(payloads[i], "ilnbot");
		check_roundtrip("Hello", payloads[i]);
		check_roundtrip(payloads[i], payloads[i]);
	}
	if (file_read(path, 1u << 20, &text, &len) != 0) {
		print_message("note: %s not found, BLNS strings skipped\n", path);
		return;
	}
	for (char *p = text, *nl; p < text + len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(text + len - p));
		if (nl == NULL)
			nl = text + len;
		*nl = '\0';
		check_roundtrip(p, p);
		lines++;
	}
	assert_true(lines > 500);
	free(text);
}

/* A value that comes through a template lands in the Subject as one line. */
static void
test_template_to_mail(void **state)
{
	char dir[] = "/tmp/test_mc.XXXXXX", err[256], *path, *subj, *body, *s;
	struct mail_out m = base_mail();
	struct tmpl_set *set;
	struct tmpl_var v[] = { { "name", "Ana\r\nBcc: victim@example.com\r\n\r\n{{x}}" } };
	FILE *f;
	size_t len;

	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/intro.txt", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("Subject: Hello {{name}}\n\nDear {{name}},\n.\nBye\n", f);
	fclose(f);
	set = tmpl_load(dir, err, sizeof(err));
	assert_non_null(set);
	assert_int_equal(tmpl_render(set, "intro", v, 1, &subj, &body), 0);
	m.subject = subj;
	m.body = body;
	s = compose_ok(&m, &len);
	check_wire(s, len);
	*strstr(s, "\r\n\r\n") = '\0';
	assert_null(strstr(s, "\r\nBcc:"));
	check_roundtrip(subj, "x");
	free(s);
	free(subj);
	free(body);
	tmpl_free(set);
	unlink(path);
	free(path);
	rmdir(dir);
}

/* ---- addresses and refusals ---- */

static const struct addr_case {
	const char *addr;
	bool valid;
} addr_cases[] = {
	{ "a@b", true },
	{ "ana@example.org", true },
	{ "first.last+tag@sub.example.co.uk", true },
	{ "o'brien@example.ie", true },
	{ "x!#$%&'*+-/=?^_`{|}~@example.org", true },
	{ "user@xn--bcher-kva.example", true },
	{ "", false },
	{ "plain", false },
	{ "@example.org", false },
	{ "ana@", false },
	{ "ana@@example.org", false },
	{ "a@b@c", false },
	{ "ana @example.org", false },
	{ "ana@exa mple.org", false },
	{ " ana@example.org", false },
	{ "ana@example.org ", false },
	{ "ana@example.org\r\n", false },
	{ "ana\r@example.org", false },
	{ "ana\n@example.org", false },
	{ "ana@example.org\nRCPT TO:<c@d>", false },
	{ "a@b>\r\nRCPT TO:<c@d", false },
	{ "<ana@example.org>", false },
	{ "Ana <ana@example.org>", false },
	{ "ana@example.org, bob@example.org", false },
	{ "ana@example.org,bob@example.org", false },
	{ "ana@example.org;bob@example.org", false },
	{ "\"ana\"@example.org", false },
	{ "\"a b\"@example.org", false },
	{ "ana(comment)@example.org", false },
	{ "ana@[192.0.2.1]", false },
	{ "ana@example.org:25", false },
	{ "an\\a@example.org", false },
	{ ".ana@example.org", false },
	{ "ana.@example.org", false },
	{ "an..a@example.org", false },
	{ "ana@.example.org", false },
	{ "ana@example..org", false },
	{ "ana@example.org.", false },
	{ "ana@-example.org", false },
	{ "ana@example-.org", false },
	{ "ana@exa_mple.org", false },
	{ "änä@example.org", true },          /* RFC 6531: sent only through SMTPUTF8 */
	{ "j\xc3" "rg@example.org", false },     /* not UTF-8 */
	{ "a\xc2\x85" "b@example.org", false },  /* a C1 control */
	{ "änä.@example.org", false },
	{ "än..ä@example.org", false },
	{ "än ä@example.org", false },
	{ "ana@exämple.org", false },
	{ "ana\t@example.org", false },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.org",
	  false },  /* 65-byte local part */
};

static void
test_addr_valid(void **state)
{
	char nul[] = "ana@example.org\0@evil.example";
	char big[300];

	for (size_t i = 0; i < NELEM(addr_cases); i++)
		if (mail_addr_valid(addr_cases[i].addr) != addr_cases[i].valid)
			fail_msg("[%s]: want %s", addr_cases[i].addr,
				 addr_cases[i].valid ? "valid" : "invalid");
	assert_false(mail_addr_valid(NULL));
	assert_true(mail_addr_valid(nul));   /* C string: stops at the NUL */
	/* 254 octets pass, 255 do not */
	memset(big, 'a', sizeof(big));
	memcpy(big, "x@", 2);
	for (int i = 2 + 63; i < 254; i += 64)
		big[i] = '.';
	big[254] = '\0';
	assert_true(mail_addr_valid(big));
	big[254] = 'a';
	big[255] = '\0';
	assert_false(mail_addr_valid(big));
}

static void
test_refused(void **state)
{
	for (size_t i = 0; i < NELEM(addr_cases); i++) {
		const char *bad[] = { addr_cases[i].addr };
		struct mail_out m;
		char err[128];
		size_t len = 99;

		if (addr_cases[i].valid)
			continue;
		for (int where = 0; where < 4; where++) {
			m = base_mail();
			switch (where) {
			case 0: m.from_addr = bad[0]; break;
			case 1: m.to = bad; break;
			case 2: m.cc = bad; m.ncc = 1; break;
			case 3: m.reply_to = bad; m.nreply_to = 1; break;
			}
			err[0] = '\0';
			if (mail_compose(&m, &len, err, sizeof(err)) != NULL)
				fail_msg("[%s] accepted (slot %d)", addr_cases[i].addr, where);
			assert_true(err[0] != '\0');
			assert_int_equal(len, 0);
		}
	}
}

static void
test_refused_headers(void **state)
{
	static const struct mail_header bad_extra[][1] = {
		{ { "List-Id", "x\r\nBcc: a@b" } },
		{ { "List-Id", "x\nBcc: a@b" } },
		{ { "List-Id", "tab\there" } },
		{ { "List-Id", "" } },
		{ { "List-Id", "   " } },
		{ { "List-Id", "bad \xff utf8" } },
		{ { "Bad Name", "x" } },
		{ { "Bad:Name", "x" } },
		{ { "Name\r\nBcc", "x" } },
		{ { "", "x" } },
		{ { "Bcc", "a@b" } },
		{ { "subject", "second subject" } },
		{ { "Content-Type", "text/html" } },
		{ { "X-Loop", "other" } },
		{ { "List-Id", "wordthatistoolongwordthatistoolongwordthatistoolongwordthatistoolong"
			       "wordthatistoolongwordthatistoolongwordthatistoolongwordthatistoolong"
			       "wordthatistoolongwordthatistoolongwordthatistoolongwordthatistoolong"
			       "wordthatistoolongwordthatistoolongwordthatistoolongwordthatistoolong"
			       "wordthatistoolongwordthatistoolongwordthatistoolongwordthatistoolong"
			       "wordthatistoolongwordthatistoolongwordthatistoolongwordthatistoolong"
			       "wordthatistoolongwordthatistoolongwordthatistoolongwordthatistoolong"
			       "wordthatistoolongwordthatistoolongwordthatistoolongwordthatistoolong"
			       "wordthatistoolongwordthatistoolongwordthatistoolongwordthatistoolong"
			       "wordthatistoolongwordthatistoolongwordthatistoolongwordthatistoolong"
			       "wordthatistoolongwordthatistoolongwordthatistoolongwordthatistoolong"
			       "wordthatistoolongwordthatistoolongwordthatistoolongwordthatistoolong"
			       "wordthatistoolongwordthatistoolongwordthatistoolongwordthatistoolong"
			       "wordthatistoolongwordthatistoolongwordthatistoolongwordthatistoolong"
			       "wordthatistoolongwordthatistoolongwordthatistoolongwordthatistoolong" } },
	};
	static const struct mail_header twice[] = { { "List-Id", "<a.b>" }, { "list-id", "<c.d>" } };
	static const char *const bad_ids[] = {
		"", "abc@example.org", "<abc>", "<@x>", "<a@>", "<a@b@c>", "<a b@c>",
		"<a@b>\r\nBcc: x@y", "<a@b> <c@d>", "<a\"b@c>", "<a@b", "a@b>",
	};
	struct mail_out m;
	char err[128];
	size_t len;

	for (size_t i = 0; i < NELEM(bad_extra); i++) {
		m = base_mail();
		m.extra = bad_extra[i];
		m.nextra = 1;
		if (mail_compose(&m, &len, err, sizeof(err)) != NULL)
			fail_msg("extra %zu [%s: %s] accepted", i, bad_extra[i][0].name,
				 bad_extra[i][0].value);
	}
	m = base_mail();
	m.extra = twice;
	m.nextra = 2;
	assert_null(mail_compose(&m, &len, err, sizeof(err)));
	for (size_t i = 0; i < NELEM(bad_ids); i++) {
		assert_false(mail_msgid_valid(bad_ids[i]));
		m = base_mail();
		m.message_id = bad_ids[i];
		assert_null(mail_compose(&m, &len, err, sizeof(err)));
		m = base_mail();
		m.in_reply_to = bad_ids[i];
		assert_null(mail_compose(&m, &len, err, sizeof(err)));
	}
	m = base_mail();
	m.auto_submitted = "no";
	assert_null(mail_compose(&m, &len, err, sizeof(err)));
	m = base_mail();
	m.auto_submitted = NULL;
	assert_null(mail_compose(&m, &len, err, sizeof(err)));
	m = base_mail();
	m.nto = 0;
	assert_null(mail_compose(&m, &len, err, sizeof(err)));
	m = base_mail();
	m.date = -1;
	assert_null(mail_compose(&m, &len, err, sizeof(err)));
	m.date = INT64_MAX;
	assert_null(mail_compose(&m, &len, err, sizeof(err)));
}

static void
test_extra_non_ascii(void **state)
{
	const struct mail_header extra[] = { { "List-Id", "Réseau des mentors <m.example.org>" } };
	struct mail_out m = base_mail();
	struct mailimf_fields *f;
	size_t len;
	char *s, *dec;

	m.extra = extra;
	m.nextra = 1;
	s = compose_ok(&m, &len);
	check_wire(s, len);
	f = parse_fields(s, len);
	for (clistiter *it = clist_begin(f->fld_list); it; it = clist_next(it)) {
		struct mailimf_field *x = clist_content(it);

		if (x->fld_type == MAILIMF_FIELD_OPTIONAL_FIELD &&
		    strcmp(x->fld_data.fld_optional_field->fld_name, "List-Id") == 0) {
			dec = decode_phrase(x->fld_data.fld_optional_field->fld_value);
			assert_string_equal(dec, extra[0].value);
			free(dec);
		}
	}
	mailimf_fields_free(f);
	free(s);
}

static void
test_message_id_new(void **state)
{
	char *a = mail_message_id_new("example.org"), *b = mail_message_id_new("example.org");

	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(strlen(a), 1 + 32 + 1 + 11 + 1);
	assert_true(a[0] == '<' && a[33] == '@');
	assert_int_equal(strspn(a + 1, "0123456789abcdef"), 32);
	assert_true(mail_msgid_valid(a));
	assert_string_not_equal(a, b);
	free(a);
	free(b);
	assert_null(mail_message_id_new("bad domain"));
	assert_null(mail_message_id_new("x>\r\nBcc: y"));
	assert_null(mail_message_id_new(""));
	assert_null(mail_message_id_new(NULL));
}

/* mail_mentions reads a mail through its encodings: a name split by a soft line break,
 * an =XX in an address, adjacent encoded words, a base64 attachment. */
static void
test_mentions(void **state)
{
	static const char qp[] = "To: a@b\r\n\r\nZebulon Can=\r\nary <new@=65xample.org>\r\n";
	static const char ew[] = "Subject: =?utf-8?b?WmVidWxvbiBD?= =?utf-8?q?anary_x?=\r\n\r\n";
	static const char b64[] = "Content-Transfer-Encoding: base64\r\n\r\n"
				  "bmFtZSxlbWFpbApaZWJ1bG9uLG5ld0BleGFtcGxlLm9yZwo=\r\n--=_b--\r\n";
	static const char *const to[] = { "c@example.org" };
	struct mail_out m;
	char err[256], *raw;
	size_t len;

	(void)state;
	assert_true(mail_mentions(qp, strlen(qp), "zebulon canary"));
	assert_true(mail_mentions(qp, strlen(qp), "NEW@example.org"));
	assert_false(mail_mentions(qp, strlen(qp), "old@example.org"));
	assert_true(mail_mentions(ew, strlen(ew), "Zebulon Canary x"));
	assert_true(mail_mentions(b64, strlen(b64), "new@example.org"));
	assert_true(mail_mentions(b64, strlen(b64), "zebulon"));
	assert_false(mail_mentions(b64, strlen(b64), ""));
	/* and what mail_compose itself writes: a long non-ASCII body, an attachment */
	memset(&m, 0, sizeof(m));
	m.from_addr = "bot@example.org";
	m.to = to;
	m.nto = 1;
	m.date = 1700000000;
	m.auto_submitted = "auto-replied";
	m.subject = "Ex\xc3\xa9port de Zeb\xc3\xbalon";
	m.message_id = "<x@example.org>";
	m.body = "Une ligne assez longue pour \xc3\xaatre coup\xc3\xa9" "e par le codage: "
		 "Zeb\xc3\xbalon Canary-\xc3\x89" "tienne <zeb.canary@example.org> et encore\n";
	m.attach_name = "export.csv";
	m.attach_type = "text/csv; charset=UTF-8";
	m.attach_data = "email\nzeb.attached@example.org\n";
	m.attach_len = strlen(m.attach_data);
	raw = mail_compose(&m, &len, err, sizeof(err));
	assert_non_null(raw);
	assert_true(mail_mentions(raw, len, "Zeb\xc3\xbalon Canary-\xc3\x89" "tienne"));
	assert_true(mail_mentions(raw, len, "zeb.canary@example.org"));
	assert_true(mail_mentions(raw, len, "zeb.attached@example.org"));
	assert_true(mail_mentions(raw, len, "Ex\xc3\xa9port de Zeb\xc3\xbalon"));
	free(raw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mentions),
		cmocka_unit_test(test_headers_full),
		cmocka_unit_test(test_headers_minimal),
		cmocka_unit_test(test_references_folded),
		cmocka_unit_test(test_encode_word),
		cmocka_unit_test(test_subject_roundtrip),
		cmocka_unit_test(test_long_subject),
		cmocka_unit_test(test_qp_table),
		cmocka_unit_test(test_qp_long_lines),
		cmocka_unit_test(test_qp_random),
		cmocka_unit_test(test_injection),
		cmocka_unit_test(test_template_to_mail),
		cmocka_unit_test(test_addr_valid),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_refused_headers),
		cmocka_unit_test(test_extra_non_ascii),
		cmocka_unit_test(test_message_id_new),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
