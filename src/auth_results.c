/* auth_results.c: RFC 8601 Authentication-Results, parsed by the grammar of its
 * section 2.2 with RFC 5322 comments (nested, with quoted-pairs) and quoted strings,
 * just enough to trust a coordinator. Only the topmost field carrying our own
 * authserv-id counts (fields further down may be forged by the sender; our MTA adds its
 * own on top), and in it only a resinfo whose method is dkim or dmarc, whose result is
 * pass and whose property is aligned with the From domain.
 *
 * The sender controls text inside that field (the envelope sender, reasons, selectors),
 * so nothing is searched for: a result is only ever the keyword after a resinfo's '=',
 * and text in comments, quoted strings, reasons and property values is never looked
 * at for one. One forward pass over each value, no recursion (comment depth is a
 * counter, capped), nothing allocated: values are decoded into fixed buffers, and one
 * that does not fit is flagged and never matches. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth_results.h"

#define AR_MAX_COMMENT  64    /* nested '(' in one field */
#define AR_MAX_VALUE    255   /* bytes kept of an authserv-id or property value */
#define AR_MAX_DOMAIN   253   /* RFC 1035 */
#define AR_MAX_LABEL    63

/* A cursor over one field value. */
struct ar_cur {
	const char *s;
	size_t i, n;
};

/* A keyword, pointing into the value. */
struct ar_word {
	const char *p;
	size_t n;
};

/* A decoded value: a quoted string without its quotes and escapes, or a token; for
 * "local-part@domain" and "@domain", where the '@' outside quotes is. */
struct ar_val {
	char s[AR_MAX_VALUE + 1];
	size_t n, at;
	bool has_at;
	bool bad;          /* longer than AR_MAX_VALUE, or a second '@' outside quotes */
};

/* What one resinfo says, as far as we care. */
struct ar_res {
	struct ar_word method, result;
	unsigned version;              /* method-version; 1 when absent */
	struct ar_val d, i, from, other;
	unsigned nd, ni, nfrom;        /* times header.d, header.i, header.from were given */
};

enum ar_verdict { AR_OTHER, AR_PASS, AR_NOPASS };

static bool
ar_ldh(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-';
}

static bool
ar_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* RFC 2045 token character, for the authserv-id. */
static bool
ar_tchar(char ch)
{
	return ch > ' ' && ch < 127 && strchr("()<>@,;:\\\"/[]?=", ch) == NULL;
}

/* A property value's or reason's token character: wider than RFC 2045's, since real
 * servers write "header.b=Ab/c+d=" and "smtp.mailfrom=<>", but never a character that
 * could start a comment, a quoted string, a quoted-pair or the next resinfo. */
static bool
ar_pchar(char ch)
{
	return ch > ' ' && ch < 127 && strchr("();\"\\", ch) == NULL;
}

static char
ar_peek(const struct ar_cur *c)
{
	return c->i < c->n ? c->s[c->i] : '\0';
}

static bool
ar_at_end(const struct ar_cur *c)
{
	return c->i >= c->n;
}

static void
ar_val_reset(struct ar_val *v)
{
	v->s[0] = '\0';
	v->n = v->at = 0;
	v->has_at = v->bad = false;
}

static void
ar_val_add(struct ar_val *v, char ch)
{
	if (v->n >= AR_MAX_VALUE) {
		v->bad = true;
		return;
	}
	v->s[v->n++] = ch;
	v->s[v->n] = '\0';
}

static bool
ar_word_is(const struct ar_word *w, const char *name)
{
	return w->n == strlen(name) && strncasecmp(w->p, name, w->n) == 0;
}

/* [CFWS]: spaces, tabs and comments; *seen says whether there was any. False on an
 * unbalanced or too deeply nested comment, or a quoted-pair cut by the end. */
static bool
ar_cfws(struct ar_cur *c, bool *seen)
{
	size_t depth = 0, start = c->i;

	while (!ar_at_end(c)) {
		char ch = c->s[c->i];

		if (ch == '(') {
			if (++depth > AR_MAX_COMMENT)
				return false;
		} else if (depth == 0 && ch != ' ' && ch != '\t') {
			break;
		} else if (ch == ')') {
			depth--;
		} else if (ch == '\\' && depth > 0) {
			if (++c->i >= c->n)
				return false;
		}
		c->i++;
	}
	if (seen)
		*seen = c->i > start;
	return depth == 0;
}

/* quoted-string, the cursor on its opening quote: its content, unescaped, added to v. */
static bool
ar_quoted(struct ar_cur *c, struct ar_val *v)
{
	c->i++;
	while (!ar_at_end(c)) {
		char ch = c->s[c->i++];

		if (ch == '"')
			return true;
		if (ch == '\\') {
			if (ar_at_end(c))
				return false;
			ch = c->s[c->i++];
		}
		ar_val_add(v, ch);
	}
	return false;
}

/* Keyword (RFC 5321 Ldh-str): letters, digits and hyphens, not ending in a hyphen. */
static bool
ar_keyword(struct ar_cur *c, struct ar_word *w)
{
	w->p = c->s + c->i;
	while (!ar_at_end(c) && ar_ldh(c->s[c->i]))
		c->i++;
	w->n = (size_t)(c->s + c->i - w->p);
	return w->n > 0 && w->p[w->n - 1] != '-';
}

/* 1*DIGIT into *out, which saturates at 1000 (any such version is unknown to us). */
static bool
ar_digits(struct ar_cur *c, unsigned *out)
{
	size_t start = c->i;

	*out = 0;
	while (!ar_at_end(c) && ar_digit(c->s[c->i])) {
		*out = *out * 10 + (unsigned)(c->s[c->i++] - '0');
		if (*out > 1000)
			*out = 1000;
	}
	return c->i > start;
}

/* Token characters into v, noting the '@' outside quotes. */
static bool
ar_ptoken(struct ar_cur *c, struct ar_val *v)
{
	size_t start = c->i;

	while (!ar_at_end(c) && ar_pchar(c->s[c->i])) {
		if (c->s[c->i] == '@') {
			if (v->has_at)
				v->bad = true;
			v->has_at = true;
			v->at = v->n;
		}
		ar_val_add(v, c->s[c->i++]);
	}
	return c->i > start;
}

/* pvalue or a reason's value: a quoted string, a quoted local-part "@" domain, or a
 * token (which covers a domain, local-part@domain and @domain). */
static bool
ar_pvalue(struct ar_cur *c, struct ar_val *v)
{
	size_t start;

	ar_val_reset(v);
	if (ar_peek(c) != '"')
		return ar_ptoken(c, v);
	if (!ar_quoted(c, v))
		return false;
	if (ar_peek(c) != '@')
		return true;
	/* "@" and the domain after a quoted local-part; ar_ptoken records the '@' */
	start = c->i;
	ar_ptoken(c, v);
	return c->i - start > 1;
}

/* authserv-id: a token or a quoted string. */
static bool
ar_authserv_id(struct ar_cur *c, struct ar_val *v)
{
	ar_val_reset(v);
	if (ar_peek(c) == '"')
		return ar_quoted(c, v) && v->n > 0;
	while (!ar_at_end(c) && ar_tchar(c->s[c->i]))
		ar_val_add(v, c->s[c->i++]);
	return v->n > 0;
}

/* Where propspec ptype.property's value goes: one of the three we read, or scratch. */
static struct ar_val *
ar_res_slot(struct ar_res *r, const struct ar_word *ptype, const struct ar_word *prop)
{
	if (!ar_word_is(ptype, "header"))
		return &r->other;
	if (ar_word_is(prop, "d")) {
		r->nd++;
		return &r->d;
	}
	if (ar_word_is(prop, "i")) {
		r->ni++;
		return &r->i;
	}
	if (ar_word_is(prop, "from")) {
		r->nfrom++;
		return &r->from;
	}
	return &r->other;
}

/* resinfo after its ';' and CFWS: methodspec [CFWS reasonspec] *(CFWS propspec).
 * Stops on the next ';' or the end. */
static bool
ar_resinfo(struct ar_cur *c, struct ar_res *r)
{
	struct ar_word ptype, prop;
	bool seen, reason = false, props = false;

	r->version = 1;
	r->nd = r->ni = r->nfrom = 0;
	if (!ar_keyword(c, &r->method) || !ar_cfws(c, NULL))
		return false;
	if (ar_peek(c) == '/') {
		c->i++;
		if (!ar_cfws(c, NULL) || !ar_digits(c, &r->version) || !ar_cfws(c, NULL))
			return false;
	}
	if (ar_peek(c) != '=')
		return false;
	c->i++;
	if (!ar_cfws(c, NULL) || !ar_keyword(c, &r->result))
		return false;
	for (;;) {
		if (!ar_cfws(c, &seen))
			return false;
		if (ar_at_end(c) || ar_peek(c) == ';')
			return true;
		if (!seen || !ar_keyword(c, &ptype) || !ar_cfws(c, NULL))
			return false;
		if (ar_peek(c) == '=' && ar_word_is(&ptype, "reason") && !reason && !props) {
			c->i++;
			reason = true;
			if (!ar_cfws(c, NULL) || !ar_pvalue(c, &r->other))
				return false;
			continue;
		}
		if (ar_peek(c) != '.')
			return false;
		c->i++;
		if (!ar_cfws(c, NULL) || !ar_keyword(c, &prop) || !ar_cfws(c, NULL) ||
		    ar_peek(c) != '=')
			return false;
		c->i++;
		props = true;
		if (!ar_cfws(c, NULL) || !ar_pvalue(c, ar_res_slot(r, &ptype, &prop)))
			return false;
	}
}

/* A domain name: dot-separated labels of letters, digits and inner hyphens. */
static bool
ar_domain_ok(const char *d)
{
	size_t label = 0, total = strlen(d);

	if (total == 0 || total > AR_MAX_DOMAIN)
		return false;
	for (size_t k = 0; k < total; k++) {
		if (d[k] == '.') {
			if (label == 0 || d[k - 1] == '-')
				return false;
			label = 0;
		} else if (!ar_ldh(d[k]) || (label == 0 && d[k] == '-') || ++label > AR_MAX_LABEL) {
			return false;
		}
	}
	return label > 0 && d[total - 1] != '-';
}

/* d aligns with domain: equal, or domain is a subdomain of d (relaxed alignment). */
static bool
ar_aligned(const char *d, const char *domain)
{
	size_t nd = strlen(d), n = strlen(domain);

	if (!ar_domain_ok(d) || strchr(d, '.') == NULL)
		return false;
	if (nd == n)
		return strcasecmp(d, domain) == 0;
	return n > nd && domain[n - nd - 1] == '.' && strcasecmp(domain + n - nd, d) == 0;
}

/* The domain a value names: the whole value, or (after_at) what follows its '@'. */
static const char *
ar_val_domain(const struct ar_val *v, bool after_at)
{
	if (v->bad || v->has_at != after_at)
		return NULL;
	return after_at ? v->s + v->at + 1 : v->s;
}

static bool
ar_res_pass(const struct ar_res *r, const char *domain, const char **why)
{
	const char *d = NULL;

	if (!ar_word_is(&r->result, "pass") || r->version != 1)
		return false;
	if (ar_word_is(&r->method, "dkim")) {
		if (r->nd == 1)
			d = ar_val_domain(&r->d, false);
		else if (r->nd == 0 && r->ni == 1)
			d = ar_val_domain(&r->i, true);
		if (d != NULL && ar_aligned(d, domain)) {
			*why = "dkim=pass aligned with From";
			return true;
		}
	} else if (ar_word_is(&r->method, "dmarc") && r->nfrom == 1) {
		d = ar_val_domain(&r->from, false);
		if (d != NULL && ar_domain_ok(d) && strcasecmp(d, domain) == 0) {
			*why = "dmarc=pass for the From domain";
			return true;
		}
	}
	return false;
}

/* One field: AR_OTHER when its authserv-id is another server's; otherwise the verdict,
 * with *why. */
static enum ar_verdict
ar_field(const char *value, const char *trusted_id, const char *domain, const char **why)
{
	struct ar_cur c = { value, 0, strlen(value) }, mark;
	struct ar_val id;
	struct ar_res r;
	struct ar_word none;
	/* a value of the collector's cap may have lost its tail: what ends there is unsure */
	bool cut = c.n >= AUTH_RESULTS_MAX, seen, pass = false;
	const char *pass_why = NULL;
	unsigned version;

	if (!ar_cfws(&c, NULL) || !ar_authserv_id(&c, &id)) {
		*why = "an Authentication-Results without a readable authserv-id";
		return AR_NOPASS;   /* it may be ours */
	}
	if (id.bad || strcasecmp(id.s, trusted_id) != 0)
		return AR_OTHER;
	*why = "our server's Authentication-Results does not parse";
	if (!ar_cfws(&c, &seen))
		return AR_NOPASS;
	if (seen && ar_digit(ar_peek(&c))) {
		ar_digits(&c, &version);
		if (!ar_cfws(&c, NULL))
			return AR_NOPASS;
		if (version != 1) {
			*why = "our server's Authentication-Results is of an unknown version";
			return AR_NOPASS;
		}
	}
	if (ar_peek(&c) != ';')
		return AR_NOPASS;
	c.i++;
	if (!ar_cfws(&c, NULL))
		return AR_NOPASS;
	mark = c;
	if (ar_keyword(&c, &none) && ar_word_is(&none, "none") && ar_cfws(&c, NULL) &&
	    ar_at_end(&c)) {
		*why = "our server did not authenticate the message";
		return AR_NOPASS;
	}
	c = mark;
	for (;;) {
		if (!ar_resinfo(&c, &r))
			return AR_NOPASS;
		if (!(cut && ar_at_end(&c)) && pass_why == NULL)
			pass = ar_res_pass(&r, domain, &pass_why);
		if (ar_at_end(&c))
			break;
		c.i++;   /* ';' */
		if (!ar_cfws(&c, NULL))
			return AR_NOPASS;
		if (ar_at_end(&c))
			break;   /* a trailing ';', as some servers write */
	}
	if (!pass) {
		*why = "our server's Authentication-Results has no aligned pass";
		return AR_NOPASS;
	}
	*why = pass_why;
	return AR_PASS;
}

bool
auth_results_pass(char *const *values, size_t n, const char *trusted_id, const char *from_addr,
		  const char **why)
{
	const char *at = from_addr ? strrchr(from_addr, '@') : NULL;

	*why = "no Authentication-Results from our own server";
	if (trusted_id == NULL || trusted_id[0] == '\0' || at == NULL || at[1] == '\0' ||
	    strlen(at + 1) > AR_MAX_DOMAIN)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (values[i] == NULL)
			continue;
		switch (ar_field(values[i], trusted_id, at + 1, why)) {
		case AR_OTHER:
			continue;
		case AR_PASS:
			return true;
		case AR_NOPASS:
			return false;
		}
	}
	return false;
}
