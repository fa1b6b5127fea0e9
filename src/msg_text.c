/* msg_text.c: plain text out of a message body: HTML rendered as readable text, and
 * quoted replies, attributions, forwarded blocks and signatures cut away.
 * Both functions work in linear time and return a new string the caller frees. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "html_entities.h"
#include "msg.h"
#include "util.h"

#define HTML_MAX_OUT     (1024u * 1024)  /* bytes of text rendered from HTML */
#define HTML_ENTITY_NAME_MAX 32          /* longest HTML5 entity name */
#define QUOTE_MAX_ATTRIB 400             /* longest line taken as an "On ... wrote:" */

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Case-insensitive search for needle in [s, s + n); linear for short needles. */
static const char *
find_ci(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++)
		if (strncasecmp(s + i, needle, k) == 0)
			return s + i;
	return NULL;
}

static void
put_utf8(struct buf *b, unsigned long cp)
{
	char u[4];

	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
	    (cp < 0x20 && cp != '\t' && cp != '\n') || (cp >= 0x7f && cp < 0xa0))
		cp = 0xfffd;
	if (cp < 0x80) {
		buf_addc(b, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 4);
	}
}

/* What HTML5 reads for the numeric references &#128; to &#159;: windows-1252's
 * characters (0 where that code has none and stays a control). */
static const unsigned short c1_1252[32] = {
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
};

/* The entity named by s[0..n) (name characters only, no '&' or ';'), case-sensitively as
 * HTML does, by binary search of the sorted table; NULL when there is none. */
static const struct html_entity *
html_entity_find(const char *s, size_t n)
{
	unsigned lo = 0, hi = html_entities_count;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const char *name = html_entities[mid].name;
		size_t len = strlen(name);
		int c = memcmp(s, name, n < len ? n : len);

		if (c == 0)
			c = n < len ? -1 : n > len ? 1 : 0;
		if (c == 0)
			return &html_entities[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* A named reference at s[0] == '&' (the full HTML5 list): "&name;" exactly, or without
 * the ';' the longest legacy name that starts the run ("&copy2026" is "(c)2026").
 * Returns the bytes consumed, 0 when there is none. */
static size_t
html_entity_named(const char *s, size_t n, struct buf *b)
{
	const struct html_entity *e;
	size_t k = 0;

	while (1 + k < n && k < HTML_ENTITY_NAME_MAX && is_alnum(s[1 + k]))
		k++;
	if (k == 0)
		return 0;
	if (1 + k < n && s[1 + k] == ';' && (e = html_entity_find(s + 1, k)) != NULL) {
		k++;
	} else {
		for (; k > 0; k--)
			if ((e = html_entity_find(s + 1, k)) != NULL && e->legacy)
				break;
		if (k == 0)
			return 0;
	}
	/* a no-break space is a space in plain text */
	buf_adds(b, strcmp(e->text, "\302\240") == 0 ? " " : e->text);
	return k + 1;
}

/* Decode the entity at s[0] == '&'; returns the bytes consumed (0: not an entity). */
static size_t
html_entity(const char *s, size_t n, struct buf *b)
{
	unsigned long cp = 0;
	size_t i = 1, digits = 0;
	bool hex;

	if (n < 3)
		return 0;
	if (s[1] != '#')
		return html_entity_named(s, n, b);
	i = 2;
	hex = i < n && (s[i] == 'x' || s[i] == 'X');
	if (hex)
		i++;
	for (; i < n && digits < 8; i++, digits++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			cp = cp * (hex ? 16 : 10) + (unsigned long)(c - '0');
		else if (hex && c >= 'a' && c <= 'f')
			cp = cp * 16 + (unsigned long)(c - 'a' + 10);
		else if (hex && c >= 'A' && c <= 'F')
			cp = cp * 16 + (unsigned long)(c - 'A' + 10);
		else
			break;
	}
	if (digits == 0)
		return 0;
	if (cp >= 0x80 && cp < 0xa0 && c1_1252[cp - 0x80] != 0)
		cp = c1_1252[cp - 0x80];
	put_utf8(b, cp);
	return i < n && s[i] == ';' ? i + 1 : i;
}

/* End the text with at least want line breaks (none at the very start). */
static void
html_break(struct buf *b, int want)
{
	int have = 0;

	while (b->len > 0 && b->data[b->len - 1] == ' ')
		b->data[--b->len] = '\0';
	if (b->len == 0)
		return;
	while (have < want && (size_t)have < b->len && b->data[b->len - 1 - have] == '\n')
		have++;
	for (; have < want; have++)
		buf_addc(b, '\n');
}

static bool
tag_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

static bool
tag_breaks(const char *name, size_t len)
{
	static const char *const tags[] = {
		"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table",
		"ul", "ol", "blockquote", "hr", "pre", "dt", "dd", "section", "article",
		"header", "footer",
	};

	for (size_t i = 0; i < nitems(tags); i++)
		if (tag_is(name, len, tags[i]))
			return true;
	return false;
}

/* Index just past the '>' closing the tag that starts at s[i] == '<'; quotes in
 * attributes are honoured. */
static size_t
tag_end(const char *s, size_t i, size_t n)
{
	char q = 0;

	for (i++; i < n; i++) {
		if (q != 0) {
			if (s[i] == q)
				q = 0;
		} else if (s[i] == '"' || s[i] == '\'') {
			if (s[i - 1] == '=' || is_space(s[i - 1]))
				q = s[i];
		} else if (s[i] == '>')
			return i + 1;
	}
	return n;
}

/* Collapse runs of blank lines to one, trim each line's ends and the text's ends. */
static char *
text_tidy(const char *s, size_t n)
{
	struct buf b;
	size_t i = 0, blank = 0;

	buf_init(&b, 0);
	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - s) : n, ls = i, le = e;

		while (ls < le && (s[ls] == ' ' || s[ls] == '\t'))
			ls++;
		while (le > ls && (s[le - 1] == ' ' || s[le - 1] == '\t'))
			le--;
		if (le == ls) {
			blank++;
		} else {
			if (b.len > 0)
				buf_adds(&b, blank > 0 ? "\n\n" : "\n");
			buf_add(&b, s + ls, le - ls);
			blank = 0;
		}
		i = e + 1;
	}
	return buf_steal(&b);
}

char *
msg_html_to_text(const char *html, size_t len)
{
	struct buf b;
	size_t i = 0;
	bool space = false, pre = false;
	char *out;

	buf_init(&b, HTML_MAX_OUT);
	while (i < len && !b.overflow) {
		char c = html[i];

		if (c == '<') {
			size_t ns, ne, e;
			bool closing;

			if (len - i >= 4 && strncmp(html + i, "<!--", 4) == 0) {
				const char *end = find_ci(html + i + 4, len - i - 4, "-->");

				i = end ? (size_t)(end - html) + 3 : len;
				continue;
			}
			ns = i + 1;
			closing = ns < len && html[ns] == '/';
			if (closing)
				ns++;
			for (ne = ns; ne < len && is_alnum(html[ne]); ne++)
				;
			if (ne == ns && !(ns < len && (html[ns] == '!' || html[ns] == '?'))) {
				/* a lone '<' is text */
				if (space)
					buf_addc(&b, ' ');
				space = false;
				buf_addc(&b, '<');
				i++;
				continue;
			}
			e = tag_end(html, i, len);
			if (!closing && (tag_is(html + ns, ne - ns, "script") ||
			    tag_is(html + ns, ne - ns, "style") ||
			    tag_is(html + ns, ne - ns, "head") ||
			    tag_is(html + ns, ne - ns, "title"))) {
				char close[10] = "</";
				const char *end;

				memcpy(close + 2, html + ns, ne - ns);
				close[2 + ne - ns] = '\0';
				end = find_ci(html + e, len - e, close);
				e = end ? tag_end(html, (size_t)(end - html), len) : len;
			} else if (tag_is(html + ns, ne - ns, "pre"))
				pre = !closing;
			if (tag_is(html + ns, ne - ns, "br")) {
				html_break(&b, 0);
				buf_addc(&b, '\n');
				space = false;
			} else if (tag_is(html + ns, ne - ns, "p")) {
				html_break(&b, 2);
				space = false;
			} else if (tag_breaks(html + ns, ne - ns)) {
				html_break(&b, 1);
				space = false;
			} else if (tag_is(html + ns, ne - ns, "td") || tag_is(html + ns, ne - ns, "th"))
				space = b.len > 0;
			i = e;
			continue;
		}
		if (!pre && is_space(c)) {
			space = b.len > 0 && b.data[b.len - 1] != '\n';
			i++;
			continue;
		}
		if (space)
			buf_addc(&b, ' ');
		space = false;
		if (c == '&') {
			size_t k = html_entity(html + i, len - i, &b);

			if (k > 0) {
				i += k;
				continue;
			}
		}
		if (c == '\r' && i + 1 < len && html[i + 1] == '\n') {
			i++;
			continue;
		}
		if (c == '\r')
			c = '\n';
		if (c != '\0')
			buf_addc(&b, c);
		i++;
	}
	out = text_tidy(b.data ? b.data : "", b.len);
	buf_free(&b);
	return out;
}

/* A quoted-reply attribution: "On ... wrote:" and its common translations, or
 * "... <addr> wrote:". */
static bool
is_attribution(const char *l, size_t n)
{
	static const struct { const char *start; const char *end; const char *mid; } forms[] = {
		{ "On ", "wrote:", NULL },
		{ "Am ", ":", "schrieb" },
		{ "Le ", "crit :", "a \xc3\xa9" },
		{ "Le ", "crit:", "a \xc3\xa9" },
		{ "El ", "escribi\xc3\xb3:", NULL },
		{ "Il ", "ha scritto:", NULL },
		{ "Op ", ":", "schreef" },
	};
	size_t k, el;

	while (n > 0 && is_space(l[n - 1]))
		n--;
	while (n > 0 && (l[0] == ' ' || l[0] == '\t')) {
		l++;
		n--;
	}
	if (n < 6 || n > QUOTE_MAX_ATTRIB)
		return false;
	for (k = 0; k < nitems(forms); k++) {
		el = strlen(forms[k].end);
		if (strncmp(l, forms[k].start, 3) != 0 || n < 3 + el ||
		    strncasecmp(l + n - el, forms[k].end, el) != 0)
			continue;
		if (forms[k].mid == NULL || find_ci(l, n, forms[k].mid) != NULL)
			return true;
	}
	return n > 6 && strncasecmp(l + n - 6, "wrote:", 6) == 0 &&
	    memchr(l, '<', n) != NULL && memchr(l, '@', n) != NULL && memchr(l, '>', n) != NULL;
}

/* Whether the line starts like one of the attribution forms ("On ", "Am ", ...). */
static bool
starts_attribution(const char *l, size_t n)
{
	static const char *const starts[] = { "On ", "Am ", "Le ", "El ", "Il ", "Op " };

	while (n > 0 && (*l == ' ' || *l == '\t')) {
		l++;
		n--;
	}
	for (size_t k = 0; k < nitems(starts); k++)
		if (n > 3 && strncmp(l, starts[k], 3) == 0)
			return true;
	return false;
}

static const char *
skip_lead(const char *l, size_t *n)
{
	while (*n > 0 && (*l == ' ' || *l == '\t' || *l == '*')) {
		l++;
		(*n)--;
	}
	return l;
}

/* "From:" / "Von:" / "De :" header of a forwarded or Outlook-quoted block. */
static bool
is_outlook_from(const char *l, size_t n)
{
	l = skip_lead(l, &n);
	return (n >= 5 && strncasecmp(l, "From:", 5) == 0) ||
	    (n >= 4 && strncasecmp(l, "Von:", 4) == 0) ||
	    (n >= 4 && (strncasecmp(l, "De :", 4) == 0 || strncasecmp(l, "De:", 3) == 0));
}

static bool
is_outlook_sent(const char *l, size_t n)
{
	l = skip_lead(l, &n);
	return (n >= 5 && strncasecmp(l, "Sent:", 5) == 0) ||
	    (n >= 5 && strncasecmp(l, "Date:", 5) == 0) ||
	    (n >= 9 && strncasecmp(l, "Gesendet:", 9) == 0) ||
	    (n >= 8 && strncasecmp(l, "Envoy\xc3\xa9", 7) == 0);
}

static bool
is_separator(const char *l, size_t n)
{
	size_t i, u = 0;

	while (n > 0 && is_space(l[n - 1]))
		n--;
	while (n > 0 && (l[0] == ' ' || l[0] == '\t')) {
		l++;
		n--;
	}
	for (i = 0; i < n && l[i] == '_'; i++)
		u++;
	if (u >= 30 && u == n)
		return true;
	return n >= 10 && strncmp(l, "-----", 5) == 0 &&
	    (find_ci(l, n, "original message") != NULL ||
	    find_ci(l, n, "urspr\xc3\xbcngliche nachricht") != NULL ||
	    find_ci(l, n, "message d'origine") != NULL ||
	    find_ci(l, n, "forwarded message") != NULL);
}

struct line {
	const char *s;
	size_t n;
};

char *
msg_strip_quotes(const char *text)
{
	struct line *ln = NULL;
	struct buf b;
	size_t nlines = 0, size = 0, i, cut, k, len = strlen(text), pos = 0;

	/* split into lines without their CR/LF */
	while (pos <= len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t e = nl ? (size_t)(nl - text) : len;

		if (nlines == size) {
			size = size ? 2 * size : 64;
			ln = xrealloc(ln, size * sizeof(*ln));
		}
		ln[nlines].s = text + pos;
		ln[nlines].n = e > pos && text[e - 1] == '\r' ? e - pos - 1 : e - pos;
		nlines++;
		if (nl == NULL)
			break;
		pos = e + 1;
	}

	/* the first line where the quoted or forwarded remainder starts */
	cut = nlines;
	for (i = 0; i < nlines && cut == nlines; i++) {
		const char *l = ln[i].s;
		size_t n = ln[i].n;

		if ((n == 3 && memcmp(l, "-- ", 3) == 0) || (n == 2 && memcmp(l, "--", 2) == 0) ||
		    is_separator(l, n) || is_attribution(l, n))
			cut = i;
		else if (is_outlook_from(l, n)) {
			for (k = i + 1; k < nlines && k <= i + 3; k++)
				if (is_outlook_sent(ln[k].s, ln[k].n))
					cut = i;
		} else if (i + 1 < nlines && n > 0 && ln[i + 1].n > 0 &&
		    n + ln[i + 1].n < QUOTE_MAX_ATTRIB) {
			char two[QUOTE_MAX_ATTRIB + 2];

			memcpy(two, l, n);
			two[n] = ' ';
			memcpy(two + n + 1, ln[i + 1].s, ln[i + 1].n);
			if (is_attribution(two, n + 1 + ln[i + 1].n) &&
			    (starts_attribution(l, n) || !is_attribution(ln[i + 1].s, ln[i + 1].n)))
				cut = i;
		}
	}

	buf_init(&b, 0);
	for (i = 0; i < cut; i++) {
		const char *l = ln[i].s;
		size_t n = ln[i].n, j = 0;

		while (j < n && (l[j] == ' ' || l[j] == '\t'))
			j++;
		if (j < n && l[j] == '>')
			continue;
		buf_add(&b, l, n);
		buf_addc(&b, '\n');
	}
	while (b.len > 0 && is_space(b.data[b.len - 1]))
		b.data[--b.len] = '\0';
	free(ln);
	return buf_steal(&b);
}
