/* match_report.c: from store rows to the engine's pool, and from its result to text.
 * Languages and interests become small integers through one table per run; countries
 * and sectors are already codes. Pure: no store, no mail; the sentences are the words
 * table's (words.h).
 * Macrolanguages (issue #15 part 4): the engine shares a language when two people hold
 * the same integer, so someone who lists a macrolanguage (Chinese) also holds each of its
 * members that someone in the pool lists (Mandarin, Cantonese): a Mandarin speaker then
 * shares with them, while Mandarin and Cantonese speakers still share nothing. Only
 * members present in the pool are added, after the person's own languages and within
 * MATCH_MAX_LANGS, so the buckets grow only where a pair is really made possible. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iso_codes.h"
#include "profile.h"
#include "log.h"
#include "match_report.h"
#include "util.h"
#include "words.h"

/* A string → small integer table (open addressing), for languages and interests. */
struct intern {
	char **keys;
	int *vals;
	size_t size, n;
};

static uint64_t
intern_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int
intern_get(struct intern *t, const char *key)
{
	size_t i;

	if ((t->n + 1) * 2 > t->size) {
		struct intern old = *t;

		t->size = t->size ? t->size * 2 : 256;
		t->keys = xcalloc(t->size, sizeof(char *));
		t->vals = xcalloc(t->size, sizeof(int));
		t->n = 0;
		for (size_t j = 0; j < old.size; j++) {
			if (old.keys[j] == NULL)
				continue;
			i = intern_hash(old.keys[j]) & (t->size - 1);
			while (t->keys[i])
				i = (i + 1) & (t->size - 1);
			t->keys[i] = old.keys[j];
			t->vals[i] = old.vals[j];
			t->n++;
		}
		free(old.keys);
		free(old.vals);
	}
	i = intern_hash(key) & (t->size - 1);
	while (t->keys[i]) {
		if (strcmp(t->keys[i], key) == 0)
			return t->vals[i];
		i = (i + 1) & (t->size - 1);
	}
	t->keys[i] = xstrdup(key);
	t->vals[i] = (int)t->n++;
	return t->vals[i];
}

/* key's integer, or -1 when the table does not hold it. */
static int
intern_find(const struct intern *t, const char *key)
{
	size_t i;

	if (t->size == 0)
		return -1;
	for (i = intern_hash(key) & (t->size - 1); t->keys[i]; i = (i + 1) & (t->size - 1))
		if (strcmp(t->keys[i], key) == 0)
			return t->vals[i];
	return -1;
}

static void
intern_free(struct intern *t)
{
	for (size_t i = 0; i < t->size; i++)
		free(t->keys[i]);
	free(t->keys);
	free(t->vals);
}

static int
sector_index(const char *s)
{
	int i = profile_sector_of(s);

	return i < 0 ? SECTOR_OTHER : i;
}

static int
stage_index(const char *s)
{
	for (int i = 0; i < PROFILE_NSTAGES; i++)
		if (strcasecmp(s, profile_stage_names[i]) == 0)
			return i;
	return -1;
}

/* "same" / "different" / "any" or a comma list of names; dflt is the unstated mode. */
static struct match_pref
pref_parse(const char *v, enum match_pref_mode dflt, bool is_stage)
{
	struct match_pref p = { dflt, 0, false };
	char *copy, *save = NULL;

	if (v == NULL || v[0] == '\0')
		return p;
	if (strcasecmp(v, "same") == 0)
		p.mode = MATCH_PREF_SAME;
	else if (strcasecmp(v, "different") == 0)
		p.mode = MATCH_PREF_DIFFERENT;
	else if (strcasecmp(v, "any") == 0)
		p.mode = MATCH_PREF_ANY;
	else {
		p.mode = MATCH_PREF_SET;
		copy = xstrdup(v);
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			int i = is_stage ? stage_index(str_trim(t)) : sector_index(str_trim(t));

			if (i >= 0)
				p.set |= 1u << i;
		}
		free(copy);
	}
	/* Writing the default down is the same as not writing it. */
	p.stated = p.mode != dflt;
	return p;
}

/* Each language of the run, by its integer: the integers of its members that someone
 * in the pool lists, when it is a macrolanguage. One allocation each; lang_members_free. */
struct lang_members {
	int *off;       /* nlangs + 1 offsets into v */
	int *v;
};

static void
lang_members_build(const struct intern *langs, struct lang_members *lm)
{
	size_t nv = 0, cap = 16;
	int **per = xcalloc(langs->n + 1, sizeof(int *));
	int *nper = xcalloc(langs->n + 1, sizeof(int));

	for (size_t j = 0; j < langs->size; j++) {
		const char *m;
		size_t k = 0;
		int id;

		if (langs->keys[j] == NULL)
			continue;
		id = langs->vals[j];
		while ((m = iso_language_member(langs->keys[j], &k)) != NULL) {
			int mid = intern_find(langs, m);

			if (mid < 0)
				continue;
			per[id] = xrealloc(per[id], (size_t)(nper[id] + 1) * sizeof(int));
			per[id][nper[id]++] = mid;
		}
	}
	lm->off = xmalloc((langs->n + 1) * sizeof(int));
	lm->v = xmalloc(cap * sizeof(int));
	for (size_t id = 0; id < langs->n; id++) {
		lm->off[id] = (int)nv;
		for (int i = 0; i < nper[id]; i++) {
			if (nv == cap)
				lm->v = xrealloc(lm->v, (cap *= 2) * sizeof(int));
			lm->v[nv++] = per[id][i];
		}
		free(per[id]);
	}
	lm->off[langs->n] = (int)nv;
	free(per);
	free(nper);
}

static void
lang_members_free(struct lang_members *lm)
{
	free(lm->off);
	free(lm->v);
}

/* Each member of mp's macrolanguages that the pool lists, appended while there is room. */
static void
langs_expand(struct match_person *mp, const struct lang_members *lm)
{
	int own = mp->nlangs;

	for (int i = 0; i < own; i++)
		for (int k = lm->off[mp->langs[i]]; k < lm->off[mp->langs[i] + 1]; k++) {
			bool dup = false;

			for (int j = 0; j < mp->nlangs && !dup; j++)
				dup = mp->langs[j] == lm->v[k];
			if (dup)
				continue;
			if (mp->nlangs == MATCH_MAX_LANGS)
				return;
			mp->langs[mp->nlangs++] = lm->v[k];
		}
}

/* The languages of pr as integers of langs, at most MATCH_MAX_LANGS of them, into mp. */
static void
langs_of(const struct profile *pr, struct intern *langs, struct match_person *mp)
{
	char *copy = xstrdup(pr->languages ? pr->languages : ""), *save = NULL;

	mp->nlangs = 0;
	for (char *t = strtok_r(copy, ",", &save); t && mp->nlangs < MATCH_MAX_LANGS;
	     t = strtok_r(NULL, ",", &save))
		mp->langs[mp->nlangs++] = intern_get(langs, str_trim(t));
	free(copy);
}

struct match_pool *
match_pool_from_rows(const struct pool_row *rows, int n)
{
	struct match_pool *pool = match_pool_new();
	struct intern langs = { 0 }, interests = { 0 };
	struct lang_members lm;

	/* every language someone lists first, so a macrolanguage knows its members here */
	for (int i = 0; i < n; i++) {
		struct match_person mp;

		langs_of(rows[i].prof, &langs, &mp);
	}
	lang_members_build(&langs, &lm);
	for (int i = 0; i < n; i++) {
		const struct profile *pr = rows[i].prof;
		struct match_person mp;
		char *copy, *save = NULL;

		match_person_init(&mp);
		mp.id = rows[i].id;
		/* Every row must become pool index i: a malformed country still gets a slot. */
		snprintf(mp.country, sizeof(mp.country), "%s",
			 pr->country && strlen(pr->country) == 2 ? pr->country : "ZZ");
		mp.sector = (enum profile_sector)sector_index(pr->sector);
		mp.stage = profile_stage_of(pr->years);
		mp.want_sector = pref_parse(pr->partner_sector, MATCH_PREF_SAME, false);
		mp.want_stage = pref_parse(pr->partner_stage, MATCH_PREF_DIFFERENT, true);
		langs_of(pr, &langs, &mp);
		langs_expand(&mp, &lm);
		copy = xstrdup(pr->interests ? pr->interests : "");
		for (char *t = strtok_r(copy, ",", &save); t && mp.ninterests < MATCH_MAX_INTERESTS;
		     t = strtok_r(NULL, ",", &save)) {
			char *k = str_trim(t);

			str_lower(k);
			if (*k)
				mp.interests[mp.ninterests++] = intern_get(&interests, k);
		}
		free(copy);
		mp.nforbidden = rows[i].nprevious < MATCH_MAX_FORBIDDEN ? rows[i].nprevious
									: MATCH_MAX_FORBIDDEN;
		mp.forbidden = rows[i].previous;
		mp.priority = rows[i].priority;
		if (match_pool_add(pool, &mp) < 0)
			log_warnx("match: participant %lld left out of the pool", (long long)rows[i].id);
	}
	lang_members_free(&lm);
	intern_free(&langs);
	intern_free(&interests);
	return pool;
}

/* How many of a's languages b shares (the same, or one's macrolanguage); the engine's own
 * count would also count the members a macrolanguage was given for the matching. */
static int
shared_languages(const struct profile *a, const struct profile *b)
{
	char *ca = xstrdup(a->languages ? a->languages : ""), *sa = NULL;
	int k = 0;

	for (char *x = strtok_r(ca, ",", &sa); x; x = strtok_r(NULL, ",", &sa)) {
		char *cb = xstrdup(b->languages ? b->languages : ""), *sb = NULL;
		bool hit = false;

		for (char *y = strtok_r(cb, ",", &sb); y && !hit; y = strtok_r(NULL, ",", &sb))
			hit = iso_language_related(str_trim(x), str_trim(y));
		k += hit;
		free(cb);
	}
	free(ca);
	return k;
}

static void
wish_text(struct buf *b, const char *lang, const struct pool_row *who, const char *field,
	  const char *value, enum match_wish w, bool stated)
{
	struct tmpl_var v[] = {
		{ "email", who->email }, { "field", field }, { "value", value },
		{ "met", words_get(lang, "messages", w == MATCH_WISH_MET ? "match.why.met" :
				   "match.why.not_met") },
		{ "default", words_get(lang, "messages", strcmp(field, "partner sector") == 0 ?
				       "match.why.same_sector" : "match.why.different_stage") },
	};

	if (w == MATCH_WISH_NONE || (!stated && w != MATCH_WISH_NOT_MET))
		return;
	buf_adds(b, "; ");
	words_buf_add(b, lang, stated ? "match.why.preference" : "match.why.default_not_met",
			v, nitems(v));
}

char *
match_pair_why(const struct pool_row *rows, const struct match_pair *pp, const char *lang)
{
	const struct pool_row *x = &rows[pp->a], *y = &rows[pp->b];
	const struct profile *a = x->prof, *b = y->prof;
	const char *sa = profile_stage(a->years), *sb = profile_stage(b->years);
	char nl[16], ni[16], weight[24];
	struct tmpl_var v[] = { { "sector", a->sector }, { "stage", sa }, { "count", nl },
				{ "weight", weight } };
	struct buf out;
	int nlang;

	buf_init(&out, 4096);
	buf_printf(&out, "%s/%s, ", a->country, b->country);
	if (strcmp(a->sector, b->sector) == 0)
		words_buf_add(&out, lang, "match.why.both_sector", v, nitems(v));
	else
		buf_printf(&out, "%s + %s", a->sector, b->sector);
	buf_adds(&out, ", ");
	if (sa && sb && strcmp(sa, sb) == 0)
		words_buf_add(&out, lang, "match.why.both_stage", v, nitems(v));
	else
		buf_printf(&out, "%s + %s", sa ? sa : "?", sb ? sb : "?");
	nlang = shared_languages(a, b);
	snprintf(nl, sizeof(nl), "%d", nlang);
	buf_adds(&out, ", ");
	words_buf_add(&out, lang, nlang == 1 ? "match.why.languages.one" :
			"match.why.languages.many", v, nitems(v));
	snprintf(ni, sizeof(ni), "%d", pp->nshared_interests);
	v[2].value = ni;
	buf_adds(&out, ", ");
	words_buf_add(&out, lang, pp->nshared_interests == 1 ? "match.why.interests.one" :
			"match.why.interests.many", v, nitems(v));
	wish_text(&out, lang, x, "partner sector", a->partner_sector, pp->side[0].sector,
		  pp->side[0].sector_stated);
	wish_text(&out, lang, x, "partner stage", a->partner_stage, pp->side[0].stage,
		  pp->side[0].stage_stated);
	wish_text(&out, lang, y, "partner sector", b->partner_sector, pp->side[1].sector,
		  pp->side[1].sector_stated);
	wish_text(&out, lang, y, "partner stage", b->partner_stage, pp->side[1].stage,
		  pp->side[1].stage_stated);
	snprintf(weight, sizeof(weight), "%lld", (long long)pp->weight);
	buf_adds(&out, "; ");
	words_buf_add(&out, lang, "match.why.weight", v, nitems(v));
	return buf_steal(&out);
}

char *
match_unmatched_why(const struct pool_row *rows, const struct match_unmatched *u,
		    const char *lang)
{
	static const char *const reasons[] = {
		[MATCH_REASON_NO_OTHER_COUNTRY] = "match.reason.no_other_country",
		[MATCH_REASON_NO_SHARED_LANGUAGE] = "match.reason.no_shared_language",
		[MATCH_REASON_ONLY_PREVIOUS] = "match.reason.only_previous",
	};
	char allowed[16], cands[16], stage_any[16], sector_any[16];
	struct tmpl_var v[] = {
		{ "count", allowed }, { "candidates", cands }, { "stage_any", stage_any },
		{ "sector_any", sector_any },
	};
	unsigned r = (unsigned)u->reason;
	struct buf out;

	snprintf(allowed, sizeof(allowed), "%d", u->nallowed);
	snprintf(cands, sizeof(cands), "%d", u->ncandidates);
	snprintf(stage_any, sizeof(stage_any), "%d", u->ncand_stage_any);
	snprintf(sector_any, sizeof(sector_any), "%d", u->ncand_sector_any);
	buf_init(&out, 4096);
	words_buf_add(&out, lang, r < nitems(reasons) && reasons[r] ? reasons[r] :
			"match.reason.all_paired", v, nitems(v));
	if (u->nallowed > 0)
		words_buf_add(&out, lang, u->ncandidates == 1 ? "match.reason.candidates.one" :
				"match.reason.candidates.many", v, nitems(v));
	if (u->ncand_stage_any > u->ncandidates)
		words_buf_add(&out, lang, "match.reason.stage_any", v, nitems(v));
	if (u->ncand_sector_any > u->ncandidates)
		words_buf_add(&out, lang, "match.reason.sector_any", v, nitems(v));
	(void)rows;
	return buf_steal(&out);
}
