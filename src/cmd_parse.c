/* cmd_parse.c: the Subject command parser (see cmd.h). The subject is checked for UTF-8,
 * cut to its first SUBJECT_MAX bytes and cleaned (control and line-separator characters
 * become spaces, invisible format characters go, space runs become one space); then
 * prefixes and [tags] are stripped with a PCRE2 pattern, repeatedly, and the first words
 * are looked up in the command table and every loaded set's [commands], compared by
 * their utf8_fold() keys. The patterns are compiled once and freed by cmd_cleanup(). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "util.h"
#include "words.h"

#define SUBJECT_MAX 2048        /* nothing we need lies further into a subject */
#define CMD_NAME_WORDS 3        /* words of the longest command name */

/* Reply and forward prefixes (with an optional count "[2]" or "(2)" and ':' or '：'),
 * or a [tag]. */
static const char prefix_re[] =
	"[\\s]*(?:"
	"(?:re|fwd?|aw|wg|sv|vs|vb|vl|fs|antw|antwort|doorst|odp|odg|pd|res|rif|r|i|tr|enc|"
	"rv|ynt|ilt|ad|atb|yml|bls|trs|ats|pers|vá|továbbítás|réf\\.?|ref|external|ext|"
	"απ|σχετ|πρθ|на|ответ|пересл|回复|回覆|答复|转发|轉寄|转寄|회신|전달|رد|השב|תשובה)"
	"\\s*(?:\\[\\d{1,6}\\]|\\(\\d{1,6}\\))?\\s*[:：]"
	"|\\[[^\\]]{0,200}\\])";
/* The first word: letters and digits, or else a run of anything but space. */
static const char word_re[] = "\\s*([\\p{L}\\p{N}_]+|[^\\s\\p{L}\\p{N}_]+)";
static const char lead_re[] = "[\\s:\\-–—]*";
static const char token_re[] = "[\\s:#=\\-–—]*(\\S+)";
/* An address-like word: everything around its first '@' up to white space or
 * brackets, so that "a@b@c.org" is taken whole (and then refused), never as "a@b". */
static const char address_re[] = "([^\\s<>()\\[\\],;:\"']*@[^\\s<>()\\[\\],;:\"']*)";

static pcre2_code *re_prefix, *re_word, *re_lead, *re_token, *re_address;
static pcre2_match_data *match;
static pcre2_match_context *mctx;

static pcre2_code *
re_compile(const char *pattern)
{
	pcre2_code *re;
	PCRE2_SIZE off;
	int err;
	PCRE2_UCHAR msg[256];

	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
			   PCRE2_UTF | PCRE2_CASELESS | PCRE2_UCP, &err, &off, NULL);
	if (re == NULL) {
		pcre2_get_error_message(err, msg, sizeof(msg));
		fatalx("cmd: pattern %s at %zu: %s", pattern, (size_t)off, (char *)msg);
	}
	return re;
}

static void
cmd_init(void)
{
	if (match != NULL)
		return;
	re_prefix = re_compile(prefix_re);
	re_word = re_compile(word_re);
	re_lead = re_compile(lead_re);
	re_token = re_compile(token_re);
	re_address = re_compile(address_re);
	match = pcre2_match_data_create(4, NULL);
	mctx = pcre2_match_context_create(NULL);
	if (match == NULL || mctx == NULL)
		fatalx("out of memory");
	pcre2_set_match_limit(mctx, 100000);
}

void
cmd_cleanup(void)
{
	pcre2_code_free(re_prefix);
	pcre2_code_free(re_word);
	pcre2_code_free(re_lead);
	pcre2_code_free(re_token);
	pcre2_code_free(re_address);
	pcre2_match_data_free(match);
	pcre2_match_context_free(mctx);
	re_prefix = re_word = re_lead = re_token = re_address = NULL;
	match = NULL;
	mctx = NULL;
}

/* Matches re at s[off..len), anchored or not; on success sets the [so, eo) of group g
 * (0 = the whole match) and returns true. */
static bool
re_at(pcre2_code *re, const char *s, size_t len, size_t off, bool anchored, int g, size_t *so,
      size_t *eo)
{
	PCRE2_SIZE *ov;
	int rc;

	rc = pcre2_match(re, (PCRE2_SPTR)s, len, off,
			 PCRE2_NO_UTF_CHECK | (anchored ? PCRE2_ANCHORED : 0), match, mctx);
	if (rc <= g)
		return false;
	ov = pcre2_get_ovector_pointer(match);
	if (ov[2 * g] == PCRE2_UNSET)
		return false;
	*so = ov[2 * g];
	*eo = ov[2 * g + 1];
	return true;
}

/* Cleaned copy of s[0..n), at most max bytes: utf8_clean_line(). Caller frees. */
static char *
text_clean(const char *s, size_t n, size_t max)
{
	return utf8_clean_line(s, n, max);
}

/* The words of s from pos: (so, eo) of each, up to max of them. */
static int
words_at(const char *s, size_t len, size_t pos, size_t (*w)[2], int max)
{
	int n = 0;
	size_t so, eo;

	while (n < max && re_at(re_word, s, len, pos, true, 1, &so, &eo)) {
		w[n][0] = so;
		w[n][1] = eo;
		pos = eo;
		n++;
	}
	return n;
}

/* Every name of every command, keyed once per load of the words (words_generation()):
 * its utf8_fold() key (capitals and accents ignored, one space between words), its
 * number of words and its row. Kept for the process, rebuilt when the words change. */
#define PHRASE_KEY_MAX (4 * CMD_WORD_MAX * CMD_NAME_WORDS + 8)

struct phrase {
	char key[PHRASE_KEY_MAX];
	int words;
	const struct command *row;
};

static struct {
	bool ready;
	unsigned long gen;
	struct phrase *v;
	size_t n, cap;
} phrases;

/* The key of the phrase p[0..n) into out and its number of words; 0 when it has none or
 * does not fold. */
static int
phrase_key(const char *p, size_t n, char *out, size_t outsz)
{
	int words = 1;

	if (!utf8_fold(p, n, out, outsz) || *out == '\0')
		return 0;
	for (const char *c = out; *c; c++)
		words += *c == ' ';
	return words;
}

static void
phrase_add(const struct command *row, const char *p, size_t n)
{
	struct phrase *x;

	if (phrases.n == phrases.cap) {
		phrases.cap = phrases.cap ? 2 * phrases.cap : 128;
		phrases.v = xrealloc(phrases.v, phrases.cap * sizeof(*phrases.v));
	}
	x = &phrases.v[phrases.n];
	if ((x->words = phrase_key(p, n, x->key, sizeof(x->key))) == 0 ||
	    x->words > CMD_NAME_WORDS)
		return;
	x->row = row;
	phrases.n++;
}

/* A '|'-list of phrases (a set's [commands] value) of the row ctx. */
static void
phrase_add_list(void *ctx, const char *lang, const char *list)
{
	for (const char *a = list; *a; a += *a == '|') {
		size_t alen = strcspn(a, "|");

		phrase_add(ctx, a, alen);
		a += alen;
	}
}

static void
phrases_build(void)
{
	if (phrases.ready && phrases.gen == words_generation())
		return;
	phrases.n = 0;
	for (size_t i = 0; i < ncommands; i++) {
		const struct command *row = &commands[i];

		phrase_add(row, row->name, strlen(row->name));
		for (const char *a = row->aliases; *a; a += strspn(a, " ")) {
			size_t alen = strcspn(a, " ");

			phrase_add(row, a, alen);
			a += alen;
		}
		words_each("commands", row->name, phrase_add_list, (void *)row);
	}
	phrases.gen = words_generation();
	phrases.ready = true;
}

/* The row whose name, one of its one-word aliases or one of the phrases a set gives it
 * ([commands], words.h) is the longest beginning of the words w[0..nw) of s, and how
 * many words it took; NULL when none. */
static const struct command *
command_find(const char *s, size_t (*w)[2], int nw, int *took)
{
	char k[CMD_NAME_WORDS][PHRASE_KEY_MAX];
	const struct command *best = NULL;

	*took = 0;
	phrases_build();
	/* k[i]: the key of the first i + 1 words */
	for (int i = 0; i < nw; i++)
		if (phrase_key(s + w[0][0], w[i][1] - w[0][0], k[i], sizeof(k[i])) != i + 1)
			nw = i;
	for (size_t i = 0; i < phrases.n; i++) {
		const struct phrase *x = &phrases.v[i];

		if (x->words <= nw && x->words > *took && strcmp(x->key, k[x->words - 1]) == 0) {
			best = x->row;
			*took = x->words;
		}
	}
	return best;
}

/* The first token of s, without wrapping punctuation ("(abc)." -> "abc"). */
static char *
first_token(const char *s, size_t len)
{
	size_t so, eo;

	if (!re_at(re_token, s, len, 0, true, 1, &so, &eo))
		return xstrdup("");
	while (so < eo && strchr("(<[\"'#", s[so]) != NULL)
		so++;
	while (eo > so && strchr(".,;:!?)]>\"'", s[eo - 1]) != NULL)
		eo--;
	return text_clean(s + so, eo - so, CMD_ARG_MAX);
}

static char *
first_address(const char *s, size_t len)
{
	size_t so, eo;

	if (!re_at(re_address, s, len, 0, false, 1, &so, &eo))
		return xstrdup("");
	while (eo > so && strchr(".!?", s[eo - 1]) != NULL)
		eo--;
	return text_clean(s + so, eo - so, CMD_ARG_MAX);
}

int
cmd_parse(const char *subject, struct cmd *out)
{
	char *s = NULL;
	const char *rest;
	size_t len, pos = 0, so, eo, n;
	enum cmd_arg arg;
	int rc = -1;

	out->kind = CMD_UNKNOWN;
	out->word = NULL;
	out->arg = NULL;
	if (subject == NULL || !utf8_valid(subject, strlen(subject)))
		goto out;
	rc = 0;
	cmd_init();
	s = text_clean(subject, strlen(subject), SUBJECT_MAX);
	len = strlen(s);
	while (pos < len && re_at(re_prefix, s, len, pos, true, 0, &so, &eo) && eo > pos)
		pos = eo;
	{
		size_t w[CMD_NAME_WORDS][2];
		int nw = words_at(s, len, pos, w, CMD_NAME_WORDS), took = 0;
		const struct command *row;

		if (nw == 0)
			goto out;
		row = command_find(s, w, nw, &took);
		if (row == NULL)
			took = 1;
		else
			out->kind = row->kind;
		arg = row ? row->arg : CMD_ARG_TEXT;
		out->word = text_clean(s + w[0][0], w[took - 1][1] - w[0][0], CMD_WORD_MAX);
		pos = w[took - 1][1];
	}
	rest = s + pos;
	n = len - pos;
	if (arg == CMD_ARG_TOKEN)
		out->arg = first_token(rest, n);
	else if (arg == CMD_ARG_ADDRESS)
		out->arg = first_address(rest, n);
	else {
		if (re_at(re_lead, rest, n, 0, true, 0, &so, &eo)) {
			rest += eo;
			n -= eo;
		}
		out->arg = text_clean(rest, n, CMD_ARG_MAX);
	}
out:
	if (out->word == NULL)
		out->word = xstrdup("");
	if (out->arg == NULL)
		out->arg = xstrdup("");
	free(s);
	return rc;
}

void
cmd_free(struct cmd *c)
{
	free(c->word);
	free(c->arg);
	c->word = c->arg = NULL;
}

const char *
cmd_name(enum cmd_kind k)
{
	const struct command *row = command_of(k);

	return row ? row->name : "UNKNOWN";
}

/* cmd_check_words: every phrase that names a command, keyed, and whose. */
struct phrase_use {
	char key[PHRASE_KEY_MAX];
	char lang[3];
	enum cmd_kind kind;
};

struct phrase_uses {
	struct phrase_use *v;
	size_t n, cap;
	enum cmd_kind kind;
	struct buf *problems;
	int bad;
};

static void
phrase_use_add(struct phrase_uses *u, const char *lang, const char *p, size_t n)
{
	struct phrase_use *x;
	int words;

	if (u->n == u->cap) {
		u->cap = u->cap ? 2 * u->cap : 64;
		u->v = xrealloc(u->v, u->cap * sizeof(*u->v));
	}
	x = &u->v[u->n];
	if ((words = phrase_key(p, n, x->key, sizeof(x->key))) == 0)
		return;
	if (words > CMD_NAME_WORDS) {
		buf_printf(u->problems, "words.ini [commands] %s (%s): \"%.*s\" is more than %d "
			   "words\n", cmd_name(u->kind), lang ? lang : "default", (int)n, p,
			   CMD_NAME_WORDS);
		u->bad++;
		return;
	}
	/* a Subject's words are letters and digits: "INSCREVER-ME" would never match */
	for (const char *c = x->key; *c; c++)
		if ((unsigned char)*c < 0x80 && *c != ' ' && *c != '_' &&
		    !(*c >= 'a' && *c <= 'z') && !(*c >= '0' && *c <= '9')) {
			buf_printf(u->problems, "words.ini [commands] %s (%s): \"%.*s\" holds '%c'; "
				   "a command's words are letters and digits\n", cmd_name(u->kind),
				   lang ? lang : "default", (int)n, p, *c);
			u->bad++;
			return;
		}
	snprintf(x->lang, sizeof(x->lang), "%s", lang ? lang : "");
	x->kind = u->kind;
	u->n++;
}

static void
phrase_uses_list(void *ctx, const char *lang, const char *list)
{
	for (const char *a = list; *a; a += *a == '|') {
		size_t alen = strcspn(a, "|");

		phrase_use_add(ctx, lang, a, alen);
		a += alen;
	}
}

int
cmd_check_words(struct buf *problems)
{
	struct phrase_uses u = { NULL, 0, 0, CMD_UNKNOWN, problems, 0 };

	for (size_t i = 0; i < ncommands; i++) {
		const struct command *row = &commands[i];

		u.kind = row->kind;
		phrase_use_add(&u, NULL, row->name, strlen(row->name));
		for (const char *a = row->aliases; *a; a += strspn(a, " ")) {
			size_t alen = strcspn(a, " ");

			phrase_use_add(&u, NULL, a, alen);
			a += alen;
		}
		words_each("commands", row->name, phrase_uses_list, &u);
	}
	for (size_t i = 0; i < u.n; i++)
		for (size_t j = i + 1; j < u.n; j++)
			if (strcmp(u.v[i].key, u.v[j].key) == 0 && u.v[i].kind != u.v[j].kind) {
				buf_printf(problems, "words.ini [commands]: \"%s\" names %s (%s) and "
					   "%s (%s): a word may name one command only\n", u.v[i].key,
					   cmd_name(u.v[i].kind), u.v[i].lang[0] ? u.v[i].lang : "English",
					   cmd_name(u.v[j].kind), u.v[j].lang[0] ? u.v[j].lang : "English");
				u.bad++;
			}
	free(u.v);
	return u.bad;
}
