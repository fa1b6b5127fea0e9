/* match_preview.h: the numbered preview coordinators read before APPROVE (SPEC §4): the
 * totals, then only what needs a human (pairs where a stated wish is not met, people
 * matched across a hard-to-meet wish, the unmatched grouped by reason with counts by
 * country and the change that would help most), every body line at most
 * PREVIEW_WIDTH characters; and the whole proposal as CSV for the attachment. Pure: the
 * decisions (groups, words) are separate from mail; every char * returned is the
 * caller's. */
#ifndef ILN_MATCH_PREVIEW_H
#define ILN_MATCH_PREVIEW_H

#include <stdint.h>

#include "match_adjust.h"
#include "store.h"

#define PREVIEW_WIDTH 78
#define PREVIEW_NAMES_PER_GROUP 10      /* names shown per unmatched group */
#define PREVIEW_GROUP_COUNTRIES 64

struct preview {
	const char *round_name;
	int number;                     /* "proposal N" */
	int64_t now;
	const struct pool_row *rows;
	int nrows;
	const struct adjusted *adj;
	const char *changes;            /* lines saying who changed what; NULL or "" none */
	const char *lang;               /* the text's language set (words.h), NULL default */
};

/* The unmatched of one reason and (for language reasons) one set of languages. */
struct preview_group {
	enum match_reason reason;
	char langs[128];                /* the members' language codes, "fra,que" */
	int count;
	int ncountries;
	struct { char code[3]; int n; } countries[PREVIEW_GROUP_COUNTRIES];
	int speakers_matched;           /* matched people speaking one of langs */
	int *members;                   /* row indices, count of them */
};

/* match_preview_groups: the groups, largest first (*g freed with preview_groups_free). */
int match_preview_groups(const struct preview *pv, struct preview_group **g);
void preview_groups_free(struct preview_group *g, int n);
/* The one sentence on a group: who they are and the change that would help most. */
char *preview_group_advice(const struct preview_group *g, const char *lang);
/* A pair's wishes in words: "a@x: explicit wish met (Partner sector: public);
 * b@y: default met (same sector); 2 shared interests". */
char *preview_pair_words(const struct pool_row *rows, const struct match_pair *pp,
			 const char *lang);
/* text wrapped to width characters (UTF-8), first line indented by ind1, the rest by
 * ind2, appended to b with a final newline. */
struct buf;
void preview_wrap(struct buf *b, const char *text, int ind1, int ind2, int width);

char *match_preview_text(const struct preview *pv);
/* One row per pair, per unmatched and per excluded person, after a header row; CRLF,
 * UTF-8 with a BOM (for spreadsheets). */
char *match_preview_csv(const struct preview *pv);
/* One CSV field: always quoted; a leading = + - @ defused for spreadsheets. */
void preview_csv_field(struct buf *b, const char *s, int last);

#endif
