/* test_auth_results.c: auth_results_pass(), table-driven: the examples of RFC 8601
 * Appendix B (with a From), what real servers write, and every way a sender's text in
 * our own server's field (envelope sender, reasons, comments) could pose as a result;
 * then values at the 2048-byte cap, fields cut by msg_parse, deep comments, random
 * bytes, and speed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "auth_results.h"
#include "msg.h"
#include "util.h"

#define OURS "mx.example.org"
#define COORD "coord@example.org"

/* the outcomes, as auth_results_pass names them */
#define W_DKIM    "dkim=pass aligned with From"
#define W_DMARC   "dmarc=pass for the From domain"
#define W_NONE    "no Authentication-Results from our own server"
#define W_NOPASS  "our server's Authentication-Results has no aligned pass"
#define W_PARSE   "our server's Authentication-Results does not parse"
#define W_VERSION "our server's Authentication-Results is of an unknown version"
#define W_NOAUTH  "our server did not authenticate the message"
#define W_NOID    "an Authentication-Results without a readable authserv-id"

struct ar_case {
	const char *name;
	const char *trusted;   /* NULL: OURS */
	const char *from;      /* NULL: COORD */
	const char *ar[4];     /* topmost first */
	bool pass;
	const char *why;
};

static const struct ar_case cases[] = {
	/* RFC 8601 Appendix B */
	{ "B.1 no field", "example.com", "sender@example.com", { NULL }, false, W_NONE },
	{ "B.2 none", "example.org", "sender@example.com", { "example.org 1; none" }, false,
	  W_NOAUTH },
	{ "B.3 spf only", "example.com", "sender@example.net",
	  { "example.com; spf=pass smtp.mailfrom=example.net" }, false, W_NOPASS },
	{ "B.4 auth and spf, single MTA", "example.com", "sender@example.net",
	  { "example.com; auth=pass (cram-md5) smtp.auth=sender@example.net; "
	    "spf=pass smtp.mailfrom=example.net",
	    "example.com; iprev=pass policy.iprev=192.0.2.200" }, false, W_NOPASS },
	{ "B.4 with a dkim pass added", "example.com", "sender@example.net",
	  { "example.com; auth=pass (cram-md5) smtp.auth=sender@example.net; "
	    "spf=pass smtp.mailfrom=example.net; dkim=pass header.d=example.net",
	    "example.com; iprev=pass policy.iprev=192.0.2.200" }, true, W_DKIM },
	{ "B.5 different MTAs: the top one decides", "example.com", "sender@example.com",
	  { "example.com; dkim=pass (good signature) header.d=example.com",
	    "example.com; auth=pass (cram-md5) smtp.auth=sender@example.com; "
	    "spf=fail smtp.mailfrom=example.com" }, true, W_DKIM },
	{ "B.5 reversed: the pass below does not count", "example.com", "sender@example.com",
	  { "example.com; auth=pass (cram-md5) smtp.auth=sender@example.com; "
	    "spf=fail smtp.mailfrom=example.com",
	    "example.com; dkim=pass (good signature) header.d=example.com" }, false, W_NOPASS },
	{ "B.6 multi-tiered, as example.com", "example.com", "sender@newyork.example.com",
	  { "example.com; dkim=pass reason=\"good signature\" header.i=@mail-router.example.net;"
	    " dkim=fail reason=\"bad signature\" header.i=@newyork.example.com",
	    "example.net; dkim=pass (good signature) header.i=@newyork.example.com" },
	  false, W_NOPASS },
	{ "B.6 multi-tiered, as example.net", "example.net", "sender@newyork.example.com",
	  { "example.com; dkim=pass reason=\"good signature\" header.i=@mail-router.example.net;"
	    " dkim=fail reason=\"bad signature\" header.i=@newyork.example.com",
	    "example.net; dkim=pass (good signature) header.i=@newyork.example.com" },
	  true, W_DKIM },
	{ "B.7 comment-heavy", "foo.example.net", "sender@example.com",
	  { "foo.example.net (foobar) 1 (baz); dkim (Because I like it) / 1 (One yay) = "
	    "(wait for it) fail policy (A dot can go here) . (like that) expired "
	    "(this surprised me) = (as I wasn't expecting it) 1362471462" }, false, W_NOPASS },
	{ "B.7 comment-heavy, passing", "foo.example.net", "sender@example.com",
	  { "foo.example.net (foobar) 1 (baz); dkim (Because I like it) / 1 (One yay) = "
	    "(wait for it) pass header (A dot can go here) . (like that) d "
	    "(this surprised me) = (as I wasn't expecting it) example.com (the end)" },
	  true, W_DKIM },

	/* what servers write */
	{ "dkim pass", NULL, NULL, { OURS "; dkim=pass header.d=example.org" }, true, W_DKIM },
	{ "dmarc pass", NULL, NULL, { OURS "; dmarc=pass header.from=example.org" }, true,
	  W_DMARC },
	{ "rspamd", NULL, NULL,
	  { OURS "; dkim=pass header.d=example.org header.s=sel header.b=Ab/Cd+e=; spf=pass "
	    "(mx.example.org: domain of coord@example.org designates 192.0.2.1 as permitted "
	    "sender) smtp.mailfrom=coord@example.org; dmarc=pass (policy=none) "
	    "header.from=example.org" }, true, W_DKIM },
	{ "gmail", "mx.google.com", NULL,
	  { "mx.google.com; dkim=pass header.i=@example.org header.s=20230601 "
	    "header.b=JmTAg/kB; spf=pass (google.com: domain of coord@example.org designates "
	    "2001:db8::1 as permitted sender) smtp.mailfrom=coord@example.org; dmarc=pass "
	    "(p=NONE sp=NONE dis=NONE) header.from=example.org" }, true, W_DKIM },
	{ "opendkim", NULL, NULL,
	  { OURS "; dkim=pass (2048-bit key; unprotected) header.d=example.org "
	    "header.i=@example.org header.b=\"AbCdEf12\"" }, true, W_DKIM },
	{ "opendmarc", NULL, NULL, { OURS "; dmarc=pass (p=none dis=none) header.from=example.org" },
	  true, W_DMARC },
	{ "spf pass alone", NULL, NULL, { OURS "; spf=pass smtp.mailfrom=coord@example.org" },
	  false, W_NOPASS },
	{ "dkim fail", NULL, NULL, { OURS "; dkim=fail header.d=example.org" }, false, W_NOPASS },
	{ "second resinfo passes", NULL, NULL,
	  { OURS "; dkim=fail header.d=example.org; dkim=pass header.d=example.org" }, true,
	  W_DKIM },
	{ "From a subdomain (relaxed)", NULL, "coord@lists.example.org",
	  { OURS "; dkim=pass header.d=example.org" }, true, W_DKIM },
	{ "signer a subdomain of From", NULL, NULL, { OURS "; dkim=pass header.d=lists.example.org" },
	  false, W_NOPASS },
	{ "dmarc needs the very domain", NULL, "coord@lists.example.org",
	  { OURS "; dmarc=pass header.from=example.org" }, false, W_NOPASS },
	{ "header.i when no header.d", NULL, NULL, { OURS "; dkim=pass header.i=coord@example.org" },
	  true, W_DKIM },
	{ "header.i quoted local-part", NULL, NULL,
	  { OURS "; dkim=pass header.i=\"co ord\"@example.org" }, true, W_DKIM },
	{ "header.d quoted", NULL, NULL, { OURS "; dkim=pass header.d=\"example.org\"" }, true,
	  W_DKIM },
	{ "header.d decides over header.i", NULL, NULL,
	  { OURS "; dkim=pass header.d=evil.example header.i=@example.org" }, false, W_NOPASS },
	{ "uppercase", "mx.example.org", NULL,
	  { "MX.Example.ORG; DKIM=PASS Header.D=Example.ORG" }, true, W_DKIM },
	{ "trusted id in capitals", "MX.EXAMPLE.ORG", NULL, { OURS "; dkim=pass header.d=example.org" },
	  true, W_DKIM },
	{ "CFWS around =", NULL, NULL, { OURS " ; dkim = pass header . d = example.org" }, true,
	  W_DKIM },
	{ "comments everywhere", NULL, NULL,
	  { "(a)" OURS "(b);(c)dkim(d)=(e)pass(f)header(g).(h)d(i)=(j)example.org(k)" }, true,
	  W_DKIM },
	{ "tabs", NULL, NULL, { OURS ";\tdkim=pass\theader.d=example.org" }, true, W_DKIM },
	{ "method version 1", NULL, NULL, { OURS "; dkim/1=pass header.d=example.org" }, true,
	  W_DKIM },
	{ "method version with CFWS", NULL, NULL, { OURS "; dkim / 1 = pass header.d=example.org" },
	  true, W_DKIM },
	{ "method version 2 unknown", NULL, NULL, { OURS "; dkim/2=pass header.d=example.org" },
	  false, W_NOPASS },
	{ "authserv-id with version", NULL, NULL, { OURS " 1; dkim=pass header.d=example.org" }, true,
	  W_DKIM },
	{ "authserv-id version 2", NULL, NULL, { OURS " 2; dkim=pass header.d=example.org" }, false,
	  W_VERSION },
	{ "quoted authserv-id", NULL, NULL, { "\"" OURS "\"; dkim=pass header.d=example.org" },
	  true, W_DKIM },
	{ "none", NULL, NULL, { OURS "; none" }, false, W_NOAUTH },
	{ "none with a comment", NULL, NULL, { OURS " 1 ; none (nothing to check)" }, false,
	  W_NOAUTH },
	{ "none then a result", NULL, NULL, { OURS "; none; dkim=pass header.d=example.org" },
	  false, W_PARSE },
	{ "trailing semicolon", NULL, NULL, { OURS "; dkim=pass header.d=example.org;" }, true,
	  W_DKIM },
	{ "reason before properties", NULL, NULL,
	  { OURS "; dkim=pass reason=\"valid signature\" header.d=example.org" }, true, W_DKIM },
	{ "unquoted reason", NULL, NULL, { OURS "; dkim=pass reason=ok header.d=example.org" },
	  true, W_DKIM },
	{ "another server's field is not ours", NULL, NULL,
	  { "mx.example.org.evil.example; dkim=pass header.d=example.org" }, false, W_NONE },
	{ "another server's garbage above ours", NULL, NULL,
	  { "relay.example.net; dkim=pass (((", OURS "; dkim=pass header.d=example.org" },
	  true, W_DKIM },
	{ "another server's pass above our fail", NULL, NULL,
	  { "relay.example.net; dkim=pass header.d=example.org",
	    OURS "; dkim=fail header.d=example.org" }, false, W_NOPASS },
	{ "no From domain", NULL, "coord", { OURS "; dkim=pass header.d=example.org" }, false,
	  W_NONE },
	{ "empty trusted id", "", NULL, { OURS "; dkim=pass header.d=example.org" }, false, W_NONE },

	/* a sender's text posing as a result */
	{ "quoted smtp.mailfrom", NULL, NULL,
	  { OURS "; spf=fail smtp.mailfrom=\"x;dkim=pass header.d=example.org \"@evil.example" },
	  false, W_NOPASS },
	{ "quoted smtp.mailfrom in front", NULL, NULL,
	  { OURS "; spf=fail smtp.mailfrom=\"x;dkim=pass header.d=example.org;\"@evil.example; "
	    "dkim=fail header.d=example.org" }, false, W_NOPASS },
	{ "dkim=pass in a comment", NULL, NULL,
	  { OURS "; spf=fail (dkim=pass header.d=example.org) smtp.mailfrom=evil.example" },
	  false, W_NOPASS },
	{ "a comment after the result", NULL, NULL,
	  { OURS "; dkim=fail (dkim=pass header.d=example.org) header.d=example.org" }, false,
	  W_NOPASS },
	{ "escaped quote in a quoted string", NULL, NULL,
	  { OURS "; spf=fail smtp.mailfrom=\"x\\\";dkim=pass header.d=example.org;\\\"\"@evil.example" },
	  false, W_NOPASS },
	{ "escaped paren in a comment", NULL, NULL,
	  { OURS "; spf=fail (x \\) ; dkim=pass header.d=example.org) smtp.mailfrom=evil.example" },
	  false, W_NOPASS },
	{ "nested comment hiding a ;", NULL, NULL,
	  { OURS "; spf=fail (outer (inner) ; dkim=pass header.d=example.org) "
	    "smtp.mailfrom=evil.example" }, false, W_NOPASS },
	{ "reason text", NULL, NULL,
	  { OURS "; dkim=fail reason=\"dkim=pass header.d=example.org\" header.d=evil.example" },
	  false, W_NOPASS },
	{ "reason text with a ;", NULL, NULL,
	  { OURS "; dkim=fail reason=\"; dkim=pass header.d=example.org\"" }, false, W_NOPASS },
	{ "unquoted reason dkim=pass", NULL, NULL,
	  { OURS "; dkim=fail reason=dkim=pass header.d=evil.example" }, false, W_NOPASS },
	{ "arc comment", NULL, NULL,
	  { OURS "; arc=pass (i=1 spf=pass dkim=pass dkdomain=example.org dmarc=pass "
	    "fromdomain=example.org)" }, false, W_NOPASS },
	{ "header.d=example.org.evil.example", NULL, NULL,
	  { OURS "; dkim=pass header.d=example.org.evil.example" }, false, W_NOPASS },
	{ "header.d=evil-example.org", NULL, NULL, { OURS "; dkim=pass header.d=evil-example.org" },
	  false, W_NOPASS },
	{ "header.d=xexample.org", NULL, NULL, { OURS "; dkim=pass header.d=xexample.org" }, false,
	  W_NOPASS },
	{ "header.d=org", NULL, "coord@org", { OURS "; dkim=pass header.d=org" }, false, W_NOPASS },
	{ "header.i=@example.org.evil", NULL, NULL, { OURS "; dkim=pass header.i=@example.org.evil" },
	  false, W_NOPASS },
	{ "header.i quoted @ posing", NULL, NULL,
	  { OURS "; dkim=pass header.i=\"coord@example.org\"@evil.example" }, false, W_NOPASS },
	{ "header.i two @", NULL, NULL, { OURS "; dkim=pass header.i=x@example.org@evil.example" },
	  false, W_NOPASS },
	{ "header.i without @", NULL, NULL, { OURS "; dkim=pass header.i=example.org" }, false,
	  W_NOPASS },
	{ "header.d with @", NULL, NULL, { OURS "; dkim=pass header.d=coord@example.org" }, false,
	  W_NOPASS },
	{ "header.d not a domain", NULL, NULL, { OURS "; dkim=pass header.d=example.org/x" }, false,
	  W_NOPASS },
	{ "header.d twice", NULL, NULL,
	  { OURS "; dkim=pass header.d=evil.example header.d=example.org" }, false, W_NOPASS },
	{ "another ptype's d", NULL, NULL, { OURS "; dkim=pass policy.d=example.org" }, false,
	  W_NOPASS },
	{ "dkim=pass for another domain", NULL, NULL, { OURS "; dkim=pass header.d=evil.example" },
	  false, W_NOPASS },
	{ "dmarc=pass for another domain", NULL, NULL,
	  { OURS "; dmarc=pass header.from=evil.example" }, false, W_NOPASS },
	{ "dmarc=pass without header.from", NULL, NULL, { OURS "; dmarc=pass" }, false, W_NOPASS },
	{ "dkim=passed", NULL, NULL, { OURS "; dkim=passed header.d=example.org" }, false,
	  W_NOPASS },
	{ "dkim=pass-", NULL, NULL, { OURS "; dkim=pass- header.d=example.org" }, false, W_PARSE },
	{ "dkim-x method", NULL, NULL, { OURS "; dkim-x=pass header.d=example.org" }, false,
	  W_NOPASS },
	{ "result glued to a property", NULL, NULL, { OURS "; dkim=passheader.d=example.org" },
	  false, W_PARSE },
	{ "ours lower down is forged", NULL, NULL,
	  { OURS "; dkim=fail header.d=example.org", OURS "; dkim=pass header.d=example.org" },
	  false, W_NOPASS },
	{ "ours lower down, ours on top none", NULL, NULL,
	  { OURS "; none", OURS "; dkim=pass header.d=example.org" }, false, W_NOAUTH },

	/* fields that do not parse: no pass, and nothing below counts */
	{ "unbalanced comment", NULL, NULL, { OURS "; dkim=pass header.d=example.org (unclosed" },
	  false, W_PARSE },
	{ "unbalanced comment, pass below", NULL, NULL,
	  { OURS "; dkim=fail (oops", OURS "; dkim=pass header.d=example.org" }, false, W_PARSE },
	{ "stray )", NULL, NULL, { OURS "; dkim=pass header.d=example.org)" }, false, W_PARSE },
	{ "unbalanced quote", NULL, NULL, { OURS "; dkim=pass header.d=\"example.org" }, false,
	  W_PARSE },
	{ "unbalanced quote, pass below", NULL, NULL,
	  { OURS "; spf=fail smtp.mailfrom=\"x", OURS "; dkim=pass header.d=example.org" }, false,
	  W_PARSE },
	{ "backslash at the end of a comment", NULL, NULL, { OURS "; dkim=pass (x\\" }, false,
	  W_PARSE },
	{ "backslash at the end of a quote", NULL, NULL, { OURS "; dkim=pass header.d=\"x\\" },
	  false, W_PARSE },
	{ "backslash outside quotes", NULL, NULL, { OURS "; dkim=pass header.d=exa\\mple.org" },
	  false, W_PARSE },
	{ "garbage word after a pass", NULL, NULL,
	  { OURS "; dkim=pass header.d=example.org garbage" }, false, W_PARSE },
	{ "garbage resinfo after a pass", NULL, NULL,
	  { OURS "; dkim=pass header.d=example.org; ???" }, false, W_PARSE },
	{ "property without ptype", NULL, NULL,
	  { OURS "; dmarc=pass action=none header.from=example.org" }, false, W_PARSE },
	{ "reason after a property", NULL, NULL,
	  { OURS "; dkim=pass header.d=example.org reason=ok" }, false, W_PARSE },
	{ "two reasons", NULL, NULL, { OURS "; dkim=pass reason=a reason=b header.d=example.org" },
	  false, W_PARSE },
	{ "no ;", NULL, NULL, { OURS " dkim=pass header.d=example.org" }, false, W_PARSE },
	{ "authserv-id alone", NULL, NULL, { OURS }, false, W_PARSE },
	{ "empty resinfo", NULL, NULL, { OURS ";; dkim=pass header.d=example.org" }, false, W_PARSE },
	{ "quoted value glued to a word", NULL, NULL,
	  { OURS "; dkim=pass header.s=\"x\"header.d=example.org" }, false, W_PARSE },
	{ "unreadable field above ours", NULL, NULL,
	  { "(unclosed " OURS "; dkim=fail", OURS "; dkim=pass header.d=example.org" }, false,
	  W_NOID },
	{ "empty field above ours", NULL, NULL, { "", OURS "; dkim=pass header.d=example.org" },
	  false, W_NOID },
};

static void
test_table(void **state)
{
	size_t failures = 0;

	for (size_t k = 0; k < nitems(cases); k++) {
		const struct ar_case *t = &cases[k];
		size_t n = 0;
		const char *why = NULL;
		bool pass;

		while (n < 4 && t->ar[n] != NULL)
			n++;
		pass = auth_results_pass((char *const *)t->ar, n, t->trusted ? t->trusted : OURS,
					 t->from ? t->from : COORD, &why);
		if (pass != t->pass || why == NULL || strcmp(why, t->why) != 0) {
			print_error("%s: got %s (%s), want %s (%s)\n", t->name, pass ? "pass" : "no pass",
				    why ? why : "NULL", t->pass ? "pass" : "no pass", t->why);
			failures++;
		}
	}
	print_message("%zu cases\n", nitems(cases));
	assert_int_equal(failures, 0);
}

static void
test_null_arguments(void **state)
{
	char *v[] = { OURS "; dkim=pass header.d=example.org", NULL };
	const char *why;

	assert_false(auth_results_pass(v, 1, NULL, COORD, &why));
	assert_false(auth_results_pass(v, 1, OURS, NULL, &why));
	assert_false(auth_results_pass(v, 0, OURS, COORD, &why));
	assert_string_equal(why, W_NONE);
	/* a NULL slot is skipped */
	v[1] = v[0];
	v[0] = NULL;
	assert_true(auth_results_pass(v, 2, OURS, COORD, &why));
}

/* value: head, then filler spaces and "x=y" pairs, then tail, exactly len bytes. */
static char *
padded(const char *head, const char *tail, size_t len)
{
	char *s = xmalloc(len + 1);
	size_t o = strlen(head), t = strlen(tail);

	assert_true(o + t + 16 < len);
	memcpy(s, head, o);
	while (o + t < len) {
		size_t room = len - t - o;

		if (room >= 9) {
			memcpy(s + o, " x.y=abc", 8);
			o += 8;
		} else {
			memset(s + o, 'z', room);   /* lengthens the last pvalue */
			o += room;
		}
	}
	memcpy(s + o, tail, t);
	s[len] = '\0';
	assert_int_equal(strlen(s), len);
	return s;
}

/* At the cap, a value may have been cut: what ends it does not count; what came
 * before a ';' does. */
static void
test_cap(void **state)
{
	const char *why;
	char *v;

	v = padded(OURS "; spf=pass smtp.mailfrom=a", "; dkim=pass header.d=example.org",
		   AUTH_RESULTS_MAX - 1);
	assert_true(auth_results_pass(&v, 1, OURS, COORD, &why));
	free(v);
	v = padded(OURS "; spf=pass smtp.mailfrom=a", "; dkim=pass header.d=example.org",
		   AUTH_RESULTS_MAX);
	assert_false(auth_results_pass(&v, 1, OURS, COORD, &why));
	assert_string_equal(why, W_NOPASS);
	free(v);
	v = padded(OURS "; dkim=pass header.d=example.org; spf=pass smtp.mailfrom=a", "",
		   AUTH_RESULTS_MAX);
	assert_true(auth_results_pass(&v, 1, OURS, COORD, &why));
	free(v);
	v = padded(OURS "; dkim=pass header.d=example.org; spf=pass smtp.mailfrom=a", "",
		   4 * AUTH_RESULTS_MAX);
	assert_true(auth_results_pass(&v, 1, OURS, COORD, &why));
	free(v);
}

/* Values longer than the parser keeps still parse; they just never match. */
static void
test_long_values(void **state)
{
	char a[301], *v, *from;
	const char *why;

	memset(a, 'a', 300);
	a[300] = '\0';
	v = xasprintf("%s; spf=pass smtp.mailfrom=\"%s\"@example.org; dkim=pass "
		      "header.d=example.org", OURS, a);
	assert_true(auth_results_pass(&v, 1, OURS, COORD, &why));
	free(v);
	v = xasprintf("%s; dkim=pass reason=\"%s\" header.s=%s header.d=example.org", OURS, a, a);
	assert_true(auth_results_pass(&v, 1, OURS, COORD, &why));
	free(v);
	/* a label of 63 bytes is a domain, one of 64 is not */
	a[63] = '\0';
	v = xasprintf("%s; dkim=pass header.d=%s.example.org", OURS, a);
	from = xasprintf("coord@%s.example.org", a);
	assert_true(auth_results_pass(&v, 1, OURS, from, &why));
	free(from);
	free(v);
	a[63] = 'a';
	a[64] = '\0';
	v = xasprintf("%s; dkim=pass header.d=%s.example.org", OURS, a);
	assert_false(auth_results_pass(&v, 1, OURS, COORD, &why));
	assert_string_equal(why, W_NOPASS);
	free(v);
	a[64] = 'a';
	v = xasprintf("%s; dkim=pass header.d=%s.example.org", OURS, a);
	assert_false(auth_results_pass(&v, 1, OURS, COORD, &why));
	assert_string_equal(why, W_NOPASS);
	free(v);
}

static struct msg *
parse_str(const char *raw)
{
	char why[128];
	struct msg *m = msg_parse(raw, strlen(raw), why, sizeof(why));

	if (m == NULL)
		print_error("msg_parse refused: %s\n", why);
	assert_non_null(m);
	return m;
}

/* A field whose signer domain a cap would cut to "example.org", padded with folded
 * whitespace (which cleaning shrinks, so only a cap on the raw value would cut it) or
 * with text (the cap on the cleaned value); the cut is moved byte by byte across the
 * domain. Our field below it is a forgery and must not count either. */
static void
test_cut_by_msg_parse(void **state)
{
	static const struct {
		const char *fill, *extra;
		int count;
	} pads[] = { { "\r\n          ", " ", 810 }, { " a.b=c", "c", 320 } };

	for (size_t f = 0; f < 2; f++) {
		for (int extra = 0; extra < 64; extra++) {
			struct buf b;
			struct msg *m;
			const char *why;
			char *raw;

			buf_init(&b, 0);
			buf_adds(&b, "From: " COORD "\r\nSubject: STATS\r\n"
				     "Authentication-Results: " OURS "; spf=pass smtp.mailfrom=a");
			for (int k = 0; k < pads[f].count; k++)
				buf_adds(&b, pads[f].fill);
			for (int k = 0; k < extra; k++)
				buf_adds(&b, pads[f].extra);
			buf_adds(&b, "; dkim=pass header.d=example.org.evil.example\r\n"
				     "Authentication-Results: " OURS "; dkim=pass header.d=example.org\r\n"
				     "\r\nbody\r\n");
			raw = buf_steal(&b);
			m = parse_str(raw);
			assert_int_equal(m->n_auth_results, 2);
			assert_true(strlen(m->auth_results[0]) <= AUTH_RESULTS_MAX);
			if (auth_results_pass(m->auth_results, m->n_auth_results, OURS, m->from, &why))
				fail_msg("pad %zu extra %d passed: %s", f, extra, m->auth_results[0]);
			msg_free(m);
			free(raw);
		}
	}
}

static void
test_depth(void **state)
{
	const char *why;
	char v[512];

	for (int depth = 60; depth <= 70; depth++) {
		int o = snprintf(v, sizeof(v), "%s; dkim=pass ", OURS);
		char *p = v;

		for (int k = 0; k < depth; k++)
			v[o++] = '(';
		for (int k = 0; k < depth; k++)
			v[o++] = ')';
		snprintf(v + o, sizeof(v) - (size_t)o, " header.d=example.org");
		assert_int_equal(auth_results_pass(&p, 1, OURS, COORD, &why), depth <= 64);
	}
}

static uint32_t
lcg(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* Random mixes of the grammar's pieces and bytes: never a crash, never a pass unless
 * the field says so in the clear, deterministic. */
static void
test_random(void **state)
{
	static const char *bits[] = {
		"dkim", "=", "pass", " ", "header", ".", "d", "example.org", ";", "(", ")", "\"",
		"\\", "@", "reason", "/", "1", "\t", "mx.example.org", "none", "x", "\x80", "\x01",
	};
	uint32_t seed = 1;
	char v[300];

	for (int run = 0; run < 20000; run++) {
		size_t o = 0;
		const char *why1, *why2;
		char *p = v;
		bool a, b;

		if (run % 2 == 0)
			o = (size_t)snprintf(v, sizeof(v), "%s; ", OURS);
		while (o < 200) {
			const char *w = bits[lcg(&seed) % nitems(bits)];

			memcpy(v + o, w, strlen(w));
			o += strlen(w);
		}
		v[o] = '\0';
		a = auth_results_pass(&p, 1, OURS, COORD, &why1);
		b = auth_results_pass(&p, 1, OURS, COORD, &why2);
		assert_int_equal(a, b);
		assert_ptr_equal(why1, why2);
		if (a)
			assert_non_null(strstr(v, "pass"));
	}
}

/* Hostile shapes of our own field at the cap, 20 fields a message, all refused; the time
 * is printed (a quadratic parser would show here), the benchmarks measure speed. */
static void
test_volume(void **state)
{
	static const char *shapes[] = { "(", "()", "\"", "\\", "(\\)", "; a=b", " x.y=z",
					 "dkim=pass ", "@", "((((((((((((((((((((((((((((((((" };
	const size_t nshapes = nitems(shapes);
	char *v[20];
	const char *why;
	clock_t t0 = clock();
	double secs;

	for (size_t s = 0; s < nshapes; s++) {
		for (int k = 0; k < 20; k++) {
			size_t o = (size_t)snprintf(NULL, 0, "%s; dkim=pass x.y=", OURS), w = strlen(shapes[s]);

			v[k] = xmalloc(AUTH_RESULTS_MAX + 1);
			snprintf(v[k], AUTH_RESULTS_MAX, "%s; dkim=pass x.y=", k == 19 ? OURS : "other");
			for (; o + w <= AUTH_RESULTS_MAX; o += w)
				memcpy(v[k] + o, shapes[s], w);
			v[k][o] = '\0';
		}
		for (int r = 0; r < 200; r++)
			assert_false(auth_results_pass(v, 20, OURS, COORD, &why));
		for (int k = 0; k < 20; k++)
			free(v[k]);
	}
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	print_message("%zu shapes x 200 messages of 20 fields: %.3f s\n", nshapes, secs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_null_arguments),
		cmocka_unit_test(test_long_values),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_cut_by_msg_parse),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_volume),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
