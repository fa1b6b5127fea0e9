/* match_preview.c: the preview's decisions and words (see match_preview.h). Groups and
 * counts are computed first (match_preview_groups, hard_wish_count), then written;
 * nothing here reads the store or composes mail. Every char * returned is the caller's;
 * group member arrays are freed by preview_groups_free. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iso_codes.h"
#include "match_preview.h"
#include "match_report.h"
#include "profile.h"
#include "util.h"
#include "words.h"

/* ---- words ---- */

static int
utf8_len(const char *s, size_t n)
{
	int k = 0;

	for (size_t i = 0; i < n; i++)
		k += ((unsigned char)s[i] & 0xc0) != 0x80;
	return k;
}

void
preview_wrap(struct buf *b, const char *text, int ind1, int ind2, int width)
{
	int col = 0, ind = ind1, first = 1;
	const char *s = text;

	while (*s) {
		size_t n;
		int wl;

		while (*s == ' ')
			s++;
		if (*s == '\0')
			break;
		n = strcspn(s, " ");
		wl = utf8_len(s, n);
		if (!first && col + 1 + wl > width) {
			buf_addc(b, '\n');
			col = 0;
			ind = ind2;
			first = 1;
		}
		if (first) {
			for (int i = 0; i < ind; i++)
				buf_addc(b, ' ');
			col = ind;
		} else {
			buf_addc(b, ' ');
			col++;
		}
		/* A word longer than a line is cut (never inside a UTF-8 character). */
		while (col + wl > width && width - col > 0) {
			size_t cut = 0;
			int room = width - col, got = 0;

			while (cut < n && got < room) {
				cut++;
				while (cut < n && ((unsigned char)s[cut] & 0xc0) == 0x80)
					cut++;
				got++;
			}
			buf_add(b, s, cut);
			buf_addc(b, '\n');
			for (int i = 0; i < ind2; i++)
				buf_addc(b, ' ');
			col = ind2;
			s += cut;
			n -= cut;
			wl = utf8_len(s, n);
		}
		buf_add(b, s, n);
		col += wl;
		first = 0;
		s += n;
	}
	buf_addc(b, '\n');
}

/* A country's name in lang (NULL: English, as in the CSV), else its code. */
static const char *
country_name(const char *code, const char *lang)
{
	const char *n = code ? iso_country_name_in(code, lang) : NULL;

	return n ? n : code ? code : "?";
}

static const char *
stage_name(int years)
{
	const char *s = profile_stage(years);

	return s ? s : "unknown";
}

/* "Name <email>" (or the address alone) into b. */
static void
person(struct buf *b, const struct pool_row *r)
{
	if (r->prof->name && r->prof->name[0])
		buf_printf(b, "%s <%s>", r->prof->name, r->email);
	else
		buf_printf(b, "<%s>", r->email);
}

/* Language codes "fra,eng" as names "French, English" into b, in lang (NULL: English). */
static void
lang_names(struct buf *b, const char *codes, const char *sep, const char *last_sep,
	   const char *lang)
{
	char *copy = xstrdup(codes ? codes : ""), *save = NULL;
	char *v[MATCH_MAX_LANGS * 4];
	int n = 0;

	for (char *t = strtok_r(copy, ",", &save); t && n < (int)nitems(v);
	     t = strtok_r(NULL, ",", &save))
		if (*(t = str_trim(t)))
			v[n++] = t;
	for (int i = 0; i < n; i++) {
		const char *name = iso_language_name_in(v[i], lang);

		if (i > 0)
			buf_adds(b, i == n - 1 ? last_sep : sep);
		buf_adds(b, name ? name : v[i]);
	}
	free(copy);
}

/* A [messages] sentence with {{count}} n. */
static void
say_n(struct buf *b, const char *lang, const char *key, int n)
{
	char num[16];
	struct tmpl_var v[] = { { "count", num } };

	snprintf(num, sizeof(num), "%d", n);
	words_buf_add(b, lang, key, v, nitems(v));
}

static void
wish_words(struct buf *b, const char *lang, bool *any, const char *field, const char *value,
	   enum match_wish w, bool stated, const char *dflt_key)
{
	const char *met = w == MATCH_WISH_MET ? "preview.wish.met" : "preview.wish.not_met";
	struct tmpl_var v[] = { { "field", field }, { "value", value ? value : "" },
				{ "met", NULL }, { "default", NULL } };

	if (w == MATCH_WISH_NONE)
		return;
	buf_adds(b, *any ? "; " : " ");
	*any = true;
	v[2].value = words_text(lang, met);
	v[3].value = words_text(lang, dflt_key);
	words_buf_add(b, lang, stated ? "preview.wish.explicit" : "preview.wish.default", v, nitems(v));
}

static void
side_words(struct buf *b, const char *lang, const struct pool_row *r, const struct match_side *sd)
{
	bool any = false;

	buf_printf(b, "%s:", r->email);
	wish_words(b, lang, &any, "Partner sector", r->prof->partner_sector, sd->sector,
		   sd->sector_stated, "preview.wish.same_sector");
	wish_words(b, lang, &any, "Partner stage", r->prof->partner_stage, sd->stage,
		   sd->stage_stated, "preview.wish.different_stage");
	if (!any) {
		buf_adds(b, " ");
		words_buf_add(b, lang, "preview.wish.none", NULL, 0);
	}
}

char *
preview_pair_words(const struct pool_row *rows, const struct match_pair *pp, const char *lang)
{
	struct buf b;

	buf_init(&b, 256);
	side_words(&b, lang, &rows[pp->a], &pp->side[0]);
	buf_adds(&b, "; ");
	side_words(&b, lang, &rows[pp->b], &pp->side[1]);
	buf_adds(&b, "; ");
	say_n(&b, lang, pp->nshared_interests == 1 ? "preview.interests.one" :
	      "preview.interests.many", pp->nshared_interests);
	return buf_steal(&b);
}

/* ---- decisions ---- */

static bool
pref_meets(const struct match_pref *p, int own, int other)
{
	switch (p->mode) {
	case MATCH_PREF_SAME:
		return own == other;
	case MATCH_PREF_DIFFERENT:
		return own != other;
	case MATCH_PREF_ANY:
		return true;
	case MATCH_PREF_SET:
		return (p->set >> other) & 1u;
	}
	return false;
}

/* People of the pool by sector and stage, to count who meets a wish. */
struct census {
	int n[PROFILE_NSECTORS][PROFILE_NSTAGES];
	int total;
};

static int
census_meeting(const struct census *c, const struct match_person *x, bool sector)
{
	int k = 0;

	for (int s = 0; s < PROFILE_NSECTORS; s++)
		for (int t = 0; t < PROFILE_NSTAGES; t++)
			if (sector ? pref_meets(&x->want_sector, x->sector, s) :
			    pref_meets(&x->want_stage, x->stage, t))
				k += c->n[s][t];
	/* x meets its own "same" wish; x is no candidate of its own */
	if (sector ? pref_meets(&x->want_sector, x->sector, x->sector) :
	    pref_meets(&x->want_stage, x->stage, x->stage))
		k--;
	return k;
}

/* Whether r speaks one of codes (a macrolanguage and its members count as one). */
static bool
row_speaks(const struct pool_row *r, const char *codes)
{
	char *mine = xstrdup(r->prof->languages ? r->prof->languages : ""), *s1 = NULL;
	bool yes = false;

	for (char *t = strtok_r(mine, ",", &s1); t && !yes; t = strtok_r(NULL, ",", &s1)) {
		char *want = xstrdup(codes), *s2 = NULL;

		t = str_trim(t);
		for (char *u = strtok_r(want, ",", &s2); u; u = strtok_r(NULL, ",", &s2))
			if (*t && iso_language_related(t, str_trim(u))) {
				yes = true;
				break;
			}
		free(want);
	}
	free(mine);
	return yes;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The languages of r, sorted and comma-joined, into out. */
static void
langs_key(const struct pool_row *r, char *out, size_t outsz)
{
	char *copy = xstrdup(r->prof->languages ? r->prof->languages : ""), *save = NULL;
	char *v[MATCH_MAX_LANGS * 4];
	size_t n = 0, len = 0;

	out[0] = '\0';
	for (char *t = strtok_r(copy, ",", &save); t && n < nitems(v);
	     t = strtok_r(NULL, ",", &save))
		if (*(t = str_trim(t)))
			v[n++] = t;
	qsort(v, n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(out + len, outsz - len, "%s%s", i ? "," : "", v[i]);

		if (k < 0 || (size_t)k >= outsz - len)
			break;
		len += (size_t)k;
	}
	free(copy);
}

static int
cmp_group(const void *a, const void *b)
{
	const struct preview_group *x = a, *y = b;

	if (x->count != y->count)
		return y->count - x->count;
	if (x->reason != y->reason)
		return (int)x->reason - (int)y->reason;
	return strcmp(x->langs, y->langs);
}

static int
cmp_country(const void *a, const void *b)
{
	const struct { char code[3]; int n; } *x = a, *y = b;

	if (x->n != y->n)
		return y->n - x->n;
	return strcmp(x->code, y->code);
}

int
match_preview_groups(const struct preview *pv, struct preview_group **out)
{
	const struct match_result *r = pv->adj->r;
	struct preview_group *g = xcalloc((size_t)r->nunmatched + 1, sizeof(*g));
	int ng = 0;

	for (int k = 0; k < r->nunmatched; k++) {
		const struct match_unmatched *u = &r->unmatched[k];
		const struct pool_row *row = &pv->rows[u->idx];
		char key[128] = "";
		int j, c;

		if (u->reason == MATCH_REASON_NO_SHARED_LANGUAGE ||
		    u->reason == MATCH_REASON_ALL_TAKEN)
			langs_key(row, key, sizeof(key));
		for (j = 0; j < ng && (g[j].reason != u->reason || strcmp(g[j].langs, key)); j++)
			;
		if (j == ng) {
			g[ng].reason = u->reason;
			snprintf(g[ng].langs, sizeof(g[ng].langs), "%s", key);
			g[ng].members = xcalloc((size_t)r->nunmatched + 1, sizeof(int));
			ng++;
		}
		g[j].members[g[j].count++] = u->idx;
		for (c = 0; c < g[j].ncountries &&
		     strcmp(g[j].countries[c].code, row->prof->country ? row->prof->country : "");
		     c++)
			;
		if (c == g[j].ncountries && c < PREVIEW_GROUP_COUNTRIES) {
			snprintf(g[j].countries[c].code, 3, "%s",
				 row->prof->country ? row->prof->country : "");
			g[j].ncountries++;
		}
		if (c < g[j].ncountries)
			g[j].countries[c].n++;
	}
	for (int j = 0; j < ng; j++) {
		qsort(g[j].countries, (size_t)g[j].ncountries, sizeof(g[j].countries[0]),
		      cmp_country);
		if (g[j].langs[0] == '\0')
			continue;
		for (int k = 0; k < r->npairs; k++) {
			g[j].speakers_matched += row_speaks(&pv->rows[r->pairs[k].a], g[j].langs);
			g[j].speakers_matched += row_speaks(&pv->rows[r->pairs[k].b], g[j].langs);
		}
	}
	qsort(g, (size_t)ng, sizeof(*g), cmp_group);
	*out = g;
	return ng;
}

void
preview_groups_free(struct preview_group *g, int n)
{
	for (int i = 0; i < n; i++)
		free(g[i].members);
	free(g);
}

char *
preview_group_advice(const struct preview_group *g, const char *lang)
{
	static const char *const keys[][2] = {
		[MATCH_REASON_NO_SHARED_LANGUAGE] = { "preview.advice.only_language.one",
						      "preview.advice.only_language.many" },
		[MATCH_REASON_NO_OTHER_COUNTRY] = { "preview.advice.no_other_country.one",
						    "preview.advice.no_other_country.many" },
		[MATCH_REASON_ONLY_PREVIOUS] = { "preview.advice.only_previous.one",
						 "preview.advice.only_previous.many" },
		[MATCH_REASON_ALL_TAKEN] = { "preview.advice.all_taken.one",
					     "preview.advice.all_taken.many" },
	};
	struct buf b, l;
	char count[16], matched[16], and_sep[64];
	struct tmpl_var v[] = { { "count", count }, { "languages", "" },
				{ "matched", matched } };
	unsigned r = (unsigned)g->reason;

	buf_init(&b, 256);
	buf_init(&l, 64);
	snprintf(and_sep, sizeof(and_sep), " %s ", words_text(lang, "preview.and"));
	lang_names(&l, g->langs, ", ", and_sep, lang);
	snprintf(count, sizeof(count), "%d", g->count);
	snprintf(matched, sizeof(matched), "%d", g->speakers_matched);
	v[1].value = l.data ? l.data : "";
	if (r < nitems(keys) && keys[r][0])
		words_buf_add(&b, lang, keys[r][g->count == 1 ? 0 : 1], v, nitems(v));
	buf_free(&l);
	return buf_steal(&b);
}

/* ---- the text ---- */

static void
preview_none(struct buf *b, const char *lang)
{
	buf_adds(b, "  ");
	words_buf_add(b, lang, "preview.none", NULL, 0);
	buf_adds(b, "\n");
}

static void
section(struct buf *b, const char *title)
{
	buf_printf(b, "\n%s\n", title);
	for (size_t i = 0; i < strlen(title) && i < PREVIEW_WIDTH; i++)
		buf_addc(b, '-');
	buf_addc(b, '\n');
}

static bool
explicit_not_met(const struct match_pair *pp)
{
	for (int s = 0; s < 2; s++)
		if ((pp->side[s].sector_stated && pp->side[s].sector == MATCH_WISH_NOT_MET) ||
		    (pp->side[s].stage_stated && pp->side[s].stage == MATCH_WISH_NOT_MET))
			return true;
	return false;
}

static void
pair_block(struct buf *b, const struct preview *pv, int k)
{
	const char *lang = pv->lang;
	const struct match_pair *pp = &pv->adj->r->pairs[k];
	const struct pool_row *x = &pv->rows[pp->a], *y = &pv->rows[pp->b];
	struct buf t;
	char *words = preview_pair_words(pv->rows, pp, lang);

	buf_init(&t, 256);
	person(&t, x);
	buf_printf(&t, ", %s", country_name(x->prof->country, lang));
	preview_wrap(b, t.data, 2, 6, PREVIEW_WIDTH);
	buf_reset(&t);
	buf_adds(&t, "+ ");
	person(&t, y);
	buf_printf(&t, ", %s", country_name(y->prof->country, lang));
	if (pv->adj->locked[k]) {
		buf_adds(&t, " ");
		words_buf_add(&t, lang, "preview.locked", NULL, 0);
	}
	preview_wrap(b, t.data, 2, 6, PREVIEW_WIDTH);
	preview_wrap(b, words, 4, 4, PREVIEW_WIDTH);
	free(words);
	buf_free(&t);
}

char *
match_preview_text(const struct preview *pv)
{
	const struct match_result *r = pv->adj->r;
	const struct match_totals *t = &r->totals;
	struct match_pool *pool = match_pool_from_rows(pv->rows, pv->nrows);
	struct preview_group *g = NULL;
	struct census cen;
	struct buf b, line;
	char when[32];
	int ng, shown, expl = 0, expl_met = 0, dflt = 0, dflt_met = 0;
	int hard_max = pv->nrows / 50 > 5 ? pv->nrows / 50 : 5;
	const char *lang = pv->lang;
	char n1[16], n2[16];
	struct tmpl_var v[] = { { "number", n1 }, { "round", pv->round_name }, { "when", NULL },
				{ "count", n1 }, { "people", n2 }, { "of", n2 }, { "k", n1 },
				{ "proven", NULL } };

	buf_init(&b, 0);
	buf_init(&line, 256);
	memset(&cen, 0, sizeof(cen));
	for (int i = 0; i < match_pool_size(pool); i++) {
		const struct match_person *x = match_pool_get(pool, i);

		cen.n[x->sector][x->stage]++;
		cen.total++;
	}
	for (int k = 0; k < r->npairs; k++)
		for (int s = 0; s < 2; s++) {
			const struct match_side *sd = &r->pairs[k].side[s];

			if (sd->sector != MATCH_WISH_NONE) {
				*(sd->sector_stated ? &expl : &dflt) += 1;
				*(sd->sector_stated ? &expl_met : &dflt_met) +=
					sd->sector == MATCH_WISH_MET;
			}
			if (sd->stage != MATCH_WISH_NONE) {
				*(sd->stage_stated ? &expl : &dflt) += 1;
				*(sd->stage_stated ? &expl_met : &dflt_met) +=
					sd->stage == MATCH_WISH_MET;
			}
		}
	time_format_iso(pv->now, when, sizeof(when));
	snprintf(n1, sizeof(n1), "%d", pv->number);
	v[2].value = when;
	words_buf_add(&line, lang, "preview.title", v, nitems(v));
	preview_wrap(&b, line.data, 0, 2, PREVIEW_WIDTH);

	section(&b, words_text(lang, "preview.totals"));
	buf_adds(&b, "  ");
	say_n(&b, lang, "preview.totals.pool", pv->nrows);
	if (pv->adj->nexcluded) {
		buf_adds(&b, " ");
		say_n(&b, lang, "preview.totals.excluded", pv->adj->nexcluded);
	}
	buf_adds(&b, "\n  ");
	snprintf(n1, sizeof(n1), "%d", r->npairs);
	snprintf(n2, sizeof(n2), "%d", 2 * r->npairs);
	words_buf_add(&b, lang, "preview.totals.pairs", v, nitems(v));
	if (pv->adj->nlocked) {
		buf_adds(&b, ", ");
		say_n(&b, lang, "preview.totals.locked", pv->adj->nlocked);
	}
	buf_adds(&b, "\n  ");
	say_n(&b, lang, "preview.totals.unmatched", r->nunmatched);
	buf_adds(&b, "\n  ");
	snprintf(n1, sizeof(n1), "%d", expl_met);
	snprintf(n2, sizeof(n2), "%d", expl);
	words_buf_add(&b, lang, "preview.totals.explicit", v, nitems(v));
	buf_adds(&b, "\n  ");
	snprintf(n1, sizeof(n1), "%d", dflt_met);
	snprintf(n2, sizeof(n2), "%d", dflt);
	words_buf_add(&b, lang, "preview.totals.default", v, nitems(v));
	buf_adds(&b, "\n");
	if (t->pruned) {
		snprintf(n1, sizeof(n1), "%d", t->prune_k);
		v[7].value = words_text(lang, t->card_proven ? "preview.totals.proven" :
				       "preview.totals.not_proven");
		buf_adds(&b, "  ");
		words_buf_add(&b, lang, "preview.totals.pruned", v, nitems(v));
		buf_adds(&b, "\n");
	} else {
		buf_adds(&b, "  ");
		words_buf_add(&b, lang, "preview.totals.exact", NULL, 0);
		buf_adds(&b, "\n");
	}

	if (pv->changes && pv->changes[0]) {
		section(&b, words_text(lang, "preview.changes"));
		for (const char *l = pv->changes; *l;) {
			size_t n = strcspn(l, "\n");
			char *one = xstrndup(l, n);

			preview_wrap(&b, one, 2, 4, PREVIEW_WIDTH);
			free(one);
			l += n;
			if (*l)
				l++;
		}
	}

	shown = 0;
	for (int k = 0; k < r->npairs; k++)
		shown += explicit_not_met(&r->pairs[k]);
	buf_reset(&line);
	say_n(&line, lang, "preview.section.not_met", shown);
	section(&b, line.data);
	for (int k = 0; k < r->npairs; k++)
		if (explicit_not_met(&r->pairs[k]))
			pair_block(&b, pv, k);
	if (shown == 0)
		preview_none(&b, lang);

	buf_reset(&line);
	say_n(&line, lang, "preview.section.hard", hard_max);
	section(&b, line.data);
	shown = 0;
	for (int k = 0; k < r->npairs; k++)
		for (int s = 0; s < 2; s++) {
			const struct match_pair *pp = &r->pairs[k];
			int me = s ? pp->b : pp->a, other = s ? pp->a : pp->b;
			const struct match_person *x = match_pool_get(pool, me);
			const struct match_side *sd = &pp->side[s];

			for (int w = 0; w < 2; w++) {
				bool stated = w ? sd->stage_stated : sd->sector_stated;
				enum match_wish got = w ? sd->stage : sd->sector;
				int meet;

				if (!stated || got == MATCH_WISH_NONE || x == NULL)
					continue;
				meet = census_meeting(&cen, x, w == 0);
				if (meet > hard_max)
					continue;
				struct buf who, partner;
				char nm[16];
				struct tmpl_var hv[] = {
					{ "person", NULL }, { "partner", NULL },
					{ "field", w ? "Partner stage" : "Partner sector" },
					{ "value", w ? pv->rows[me].prof->partner_stage :
						   pv->rows[me].prof->partner_sector },
					{ "count", nm },
					{ "met", words_text(lang, got == MATCH_WISH_MET ?
							   "preview.wish.met" :
							   "preview.wish.not_met") },
				};

				buf_init(&who, 0);
				buf_init(&partner, 0);
				person(&who, &pv->rows[me]);
				person(&partner, &pv->rows[other]);
				snprintf(nm, sizeof(nm), "%d", meet);
				hv[0].value = who.data;
				hv[1].value = partner.data;
				buf_reset(&line);
				words_buf_add(&line, lang, "preview.hard", hv, nitems(hv));
				buf_free(&who);
				buf_free(&partner);
				preview_wrap(&b, line.data, 2, 4, PREVIEW_WIDTH);
				shown++;
			}
		}
	if (shown == 0)
		preview_none(&b, lang);

	buf_reset(&line);
	say_n(&line, lang, "preview.section.unmatched", r->nunmatched);
	section(&b, line.data);
	ng = match_preview_groups(pv, &g);
	for (int j = 0; j < ng; j++) {
		char *adv = preview_group_advice(&g[j], lang);

		buf_reset(&line);
		buf_printf(&line, "%s.", adv);
		preview_wrap(&b, line.data, 2, 4, PREVIEW_WIDTH);
		buf_reset(&line);
		words_buf_add(&line, lang, "preview.by_country", NULL, 0);
		for (int c = 0; c < g[j].ncountries; c++)
			buf_printf(&line, "%s %s %d", c ? "," : "",
				   country_name(g[j].countries[c].code, lang), g[j].countries[c].n);
		preview_wrap(&b, line.data, 4, 6, PREVIEW_WIDTH);
		for (int m = 0; m < g[j].count && m < PREVIEW_NAMES_PER_GROUP; m++) {
			buf_reset(&line);
			person(&line, &pv->rows[g[j].members[m]]);
			buf_printf(&line, ", %s",
				   country_name(pv->rows[g[j].members[m]].prof->country, lang));
			preview_wrap(&b, line.data, 4, 6, PREVIEW_WIDTH);
		}
		if (g[j].count > PREVIEW_NAMES_PER_GROUP) {
			buf_adds(&b, "    ");
			say_n(&b, lang, "preview.more", g[j].count - PREVIEW_NAMES_PER_GROUP);
			buf_adds(&b, "\n");
		}
		free(adv);
	}
	if (ng == 0)
		preview_none(&b, lang);
	preview_groups_free(g, ng);

	if (pv->adj->nexcluded) {
		buf_reset(&line);
		say_n(&line, lang, "preview.section.excluded", pv->adj->nexcluded);
		section(&b, line.data);
		for (int k = 0; k < pv->adj->nexcluded; k++) {
			buf_reset(&line);
			person(&line, &pv->rows[pv->adj->excluded[k]]);
			preview_wrap(&b, line.data, 2, 4, PREVIEW_WIDTH);
		}
	}
	buf_printf(&b, "\npairs: %d unmatched: %d\n", r->npairs, r->nunmatched);
	match_pool_free(pool);
	buf_free(&line);
	return buf_steal(&b);
}

/* ---- the attachment ---- */

void
preview_csv_field(struct buf *b, const char *s, int last)
{
	bool risky = s && (*s == '=' || *s == '+' || *s == '-' || *s == '@');

	buf_addc(b, '"');
	if (risky)
		buf_addc(b, '\'');
	for (; s && *s; s++) {
		if (*s == '"')
			buf_addc(b, '"');
		buf_addc(b, *s);
	}
	buf_adds(b, last ? "\"\r\n" : "\",");
}

static void
csv_person(struct buf *b, const struct pool_row *r)
{
	preview_csv_field(b, r ? r->prof->name : "", 0);
	preview_csv_field(b, r ? r->email : "", 0);
	preview_csv_field(b, r ? country_name(r->prof->country, NULL) : "", 0);
	preview_csv_field(b, r ? r->prof->sector : "", 0);
	preview_csv_field(b, r ? stage_name(r->prof->years) : "", 0);
}

/* The wishes met (met true) or not met of a pair, "a@x sector (explicit); ...". */
static void
csv_wishes(struct buf *out, const struct pool_row *rows, const struct match_pair *pp,
	   bool met)
{
	struct buf b;

	buf_init(&b, 128);
	for (int s = 0; s < 2; s++) {
		const struct match_side *sd = &pp->side[s];
		const char *who = rows[s ? pp->b : pp->a].email;

		if (sd->sector != MATCH_WISH_NONE && (sd->sector == MATCH_WISH_MET) == met)
			buf_printf(&b, "%s%s sector (%s)", b.len ? "; " : "", who,
				   sd->sector_stated ? "explicit" : "default");
		if (sd->stage != MATCH_WISH_NONE && (sd->stage == MATCH_WISH_MET) == met)
			buf_printf(&b, "%s%s stage (%s)", b.len ? "; " : "", who,
				   sd->stage_stated ? "explicit" : "default");
	}
	preview_csv_field(out, b.data ? b.data : "", 0);
	buf_free(&b);
}

char *
match_preview_csv(const struct preview *pv)
{
	const struct match_result *r = pv->adj->r;
	struct buf b, l;
	char num[32];

	buf_init(&b, 0);
	buf_init(&l, 128);
	buf_adds(&b, "\xEF\xBB\xBF");
	buf_adds(&b, "proposal,kind,a_name,a_email,a_country,a_sector,a_stage,b_name,b_email,"
		 "b_country,b_sector,b_stage,shared_languages,met,not_met,score,reason\r\n");
	snprintf(num, sizeof(num), "%d", pv->number);
	for (int k = 0; k < r->npairs; k++) {
		const struct match_pair *pp = &r->pairs[k];
		char score[32];

		buf_reset(&l);
		preview_csv_field(&b, num, 0);
		preview_csv_field(&b, pv->adj->locked[k] ? "locked" : "pair", 0);
		csv_person(&b, &pv->rows[pp->a]);
		csv_person(&b, &pv->rows[pp->b]);
		{
			/* shared languages by name: the intersection of the two lists */
			char *mine = xstrdup(pv->rows[pp->a].prof->languages ?
					     pv->rows[pp->a].prof->languages : ""), *sv = NULL;
			struct buf codes;

			buf_init(&codes, 64);
			for (char *t = strtok_r(mine, ",", &sv); t; t = strtok_r(NULL, ",", &sv))
				if (*(t = str_trim(t)) && row_speaks(&pv->rows[pp->b], t))
					buf_printf(&codes, "%s%s", codes.len ? "," : "", t);
			lang_names(&l, codes.data ? codes.data : "", ", ", ", ", NULL);
			buf_free(&codes);
			free(mine);
		}
		preview_csv_field(&b, l.data ? l.data : "", 0);
		csv_wishes(&b, pv->rows, pp, true);
		csv_wishes(&b, pv->rows, pp, false);
		snprintf(score, sizeof(score), "%lld", (long long)pp->weight);
		preview_csv_field(&b, score, 0);
		preview_csv_field(&b, "", 1);
	}
	for (int k = 0; k < r->nunmatched; k++) {
		char *why = match_unmatched_why(pv->rows, &r->unmatched[k], NULL);

		preview_csv_field(&b, num, 0);
		preview_csv_field(&b, "unmatched", 0);
		csv_person(&b, &pv->rows[r->unmatched[k].idx]);
		csv_person(&b, NULL);
		for (int i = 0; i < 4; i++)
			preview_csv_field(&b, "", 0);
		preview_csv_field(&b, why, 1);
		free(why);
	}
	for (int k = 0; k < pv->adj->nexcluded; k++) {
		preview_csv_field(&b, num, 0);
		preview_csv_field(&b, "excluded", 0);
		csv_person(&b, &pv->rows[pv->adj->excluded[k]]);
		csv_person(&b, NULL);
		for (int i = 0; i < 4; i++)
			preview_csv_field(&b, "", 0);
		preview_csv_field(&b, "excluded from this round by a coordinator", 1);
	}
	buf_free(&l);
	return buf_steal(&b);
}
