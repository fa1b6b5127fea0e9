/* test_form.c: the application form: a table of bodies (SIGNUP and UPDATE) with the number
 * of problems, a problem line each must contain, and the profile rendered back; limits,
 * hostile values, render/parse round trip, copy/free, speed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "form.h"
#include "iso_codes.h"
#include "util.h"
#include "words.h"

#define ANA                                                                     \
	"Name: Ana Pereira\nCountry: Brazil\nSector: academic\n"                \
	"Workplace: Universidade de São Paulo\nYears: 3\n"                       \
	"Interests: cataloguing, open access, research data\n"

#define ANA_RENDER(rest)                                                        \
	"Name: Ana Pereira\nCountry: Brazil\nSector: academic\n"                \
	"Workplace: Universidade de São Paulo\nYears: 3\n"                       \
	"Interests: cataloguing, open access, research data\n" rest "Mail language: \n"

#define DEFAULTS "Partner sector: same\nPartner stage: different\nNotes: \nDigest: no\n"

struct form_case {
	const char *name;
	const char *body;
	bool full;
	int want_count;
	const char *want_problem;       /* a substring of the problems, or NULL */
	const char *want_render;        /* form_render(out, true, NULL), or NULL */
};

static const struct form_case cases[] = {
	{ "minimal signup", ANA, true, 0, NULL,
	  ANA_RENDER("Languages: English\nAbout: \n" DEFAULTS) },
	{ "full signup",
	  "Dear team,\nhere is my form:\n\n" ANA
	  "Languages: Portuguese, English\nAbout: I run the repository.\n"
	  "Partner sector: public, academic\nPartner stage: any\nNotes: vegan\nDigest: yes\n"
	  "\nThanks: Ana\n",
	  true, 1, "Thanks: unknown field; accepted: Name, Country",
	  ANA_RENDER("Languages: Portuguese, English\nAbout: I run the repository.\n"
		     "Partner sector: public, academic\nPartner stage: any\nNotes: vegan\n"
		     "Digest: yes\n") },
	{ "field name variants",
	  "NAME:Ana Pereira\ncountry :  br\nsector: University Library\n"
	  "work-place: Universidade de São Paulo\nyears: 3 years\nColour: x\n"
	  "interest: cataloguing; open access, research data, Open Access\n"
	  "language: pt / en\npartner-sector: public or academic\n"
	  "partner  stages: early-career and late\nnote: n\ndigest: TRUE\n",
	  true, 1, "Colour: unknown field",
	  ANA_RENDER("Languages: Portuguese, English\nAbout: \n"
		     "Partner sector: public, academic\nPartner stage: early, late\n"
		     "Notes: n\nDigest: yes\n") },
	{ "empty signup", "", true, 6, "Name: is missing; accepted: your name", NULL },
	{ "greeting only", "Hello, I would like to join!\nThanks.", true, 6,
	  "Interests: is missing", NULL },
	{ "missing country", "Name: Ana\nSector: public\nWorkplace: W\nYears: 1\nInterests: a\n",
	  true, 1, "Country: is missing; accepted: a country name or ISO 3166 code, e.g. Brazil "
	  "or BR", NULL },
	{ "bad country",
	  "Name: Ana\nCountry: Narnia\nSector: public\nWorkplace: W\nYears: 1\nInterests: a\n",
	  true, 1, "Country: \"Narnia\" is not a country we know; accepted: a country name or "
	  "ISO 3166 code, e.g. Brazil or BR\n", NULL },
	{ "every value wrong",
	  "Name: ana@example.org\nCountry: Atlantis\nSector: bakery\nWorkplace: \nYears: -2\n"
	  "Interests: , ,\nLanguages: Elvish\nPartner sector: pubic\nPartner stage: ancient\n"
	  "Digest: maybe\n",
	  true, 10, "Partner stage: \"ancient\" is not a choice we know", NULL },
	{ "years too many", ANA "Years: 71\n", true, 1, "Years: given more than once", NULL },
	{ "years range", "Years: 71\n", false, 1, "Years: \"71\" is not a number from 0 to 70",
	  NULL },
	{ "years fraction", "Years: 3.5\n", false, 1, "Years: \"3.5\"", NULL },
	{ "name with angle", "Name: Ana <ana@x.org>\n", false, 1,
	  "Name: \"Ana <ana@x.org>\" contains @, < or >", NULL },
	{ "name with tab", "Name: Ana\tPereira\n", false, 1, "contains control characters",
	  NULL },
	{ "name with bidi", "Name: Ana \xe2\x80\xae" "arierep\n", false, 1,
	  "Name: \"Ana arierep\" contains control characters", NULL },
	{ "workplace with CR", "Workplace: A\rB\n", false, 1,
	  "Workplace: \"A B\" contains control characters", NULL },
	{ "name with NEL", "Name: A\xc2\x85" "B\n", false, 1, "contains control characters",
	  NULL },
	{ "name with LS", "Name: A\xe2\x80\xa8" "B\n", false, 1, "contains control characters",
	  NULL },
	{ "invalid utf8", "Name: Ana \xff\xfe\n", false, 1,
	  "Name: \"Ana \xef\xbf\xbd\xef\xbf\xbd\" is not valid UTF-8 text", NULL },
	{ "about folds controls", ANA "About: a\tb\x01" "c\xe2\x80\xa8" "d\xe2\x80\x8b" "e\n",
	  true, 0, NULL, ANA_RENDER("Languages: English\nAbout: a b c de\n" DEFAULTS) },
	{ "about folds ideographic space, keeps zwnj",
	  ANA "About: a\xe3\x80\x80" "b \xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae\n", true, 0, NULL,
	  ANA_RENDER("Languages: English\nAbout: a b \xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae\n" DEFAULTS) },
	{ "name with ideographic space", "Name: \xe5\xb1\xb1\xe7\x94\xb0\xe3\x80\x80\xe8\x8a\xb1\xe5\xad\x90\n",
	  false, 0, NULL, NULL },
	{ "continuation", ANA "About: I like\n  long walks\n\tand cats\n\n  not this\n", true, 0,
	  NULL, ANA_RENDER("Languages: English\nAbout: I like long walks and cats\n" DEFAULTS) },
	{ "indented field", ANA "About: x\n  Digest: yes\n", true, 0, NULL,
	  ANA_RENDER("Languages: English\nAbout: x\nPartner sector: same\n"
		     "Partner stage: different\nNotes: \nDigest: yes\n") },
	{ "quoted and signature", ANA "> Notes: quoted\nNotes: mine\n-- \nDigest: yes\n", true, 0,
	  NULL, ANA_RENDER("Languages: English\nAbout: \nPartner sector: same\n"
			   "Partner stage: different\nNotes: mine\nDigest: no\n") },
	{ "outlook original", ANA "\nFrom: ILN <iln@example.org>\nSent: Monday\nColour: x\n",
	  true, 0, NULL, NULL },
	{ "original message", ANA "-----Original Message-----\nColour: x\n", true, 0, NULL,
	  NULL },
	{ "mail noise", ANA "See https://example.org/x\nPS: thanks\nmailto:x@y\n", true, 0,
	  NULL, NULL },
	{ "prose with colon", ANA "I have two questions, first: when does it start?\n", true, 0,
	  NULL, NULL },
	{ "crlf", "Name: Ana Pereira\r\nCountry: BR\r\nSector: academic\r\n"
	  "Workplace: Universidade de São Paulo\r\nYears: 3\r\n"
	  "Interests: cataloguing, open access, research data\r\n", true, 0, NULL,
	  ANA_RENDER("Languages: English\nAbout: \n" DEFAULTS) },
	{ "full-width colon", "Name：Ana\n", false, 0, NULL, NULL },
	{ "update nothing", "Hello\nthanks\n", false, 1, "Form: no fields found", NULL },
	{ "update empty required", "Name:\n", false, 1, "Name: is empty", NULL },
	{ "update one field", "Digest: yes\n", false, 0, NULL,
	  ANA_RENDER("Languages: English\nAbout: \n"
		     "Partner sector: same\nPartner stage: different\nNotes: \nDigest: yes\n") },
	{ "update reset optional", "Partner sector: any\nPartner stage:\nLanguages:\n", false, 0,
	  NULL, ANA_RENDER("Languages: English\nAbout: \n"
			   "Partner sector: any\nPartner stage: different\nNotes: \n"
			   "Digest: no\n") },
	{ "update country", "Country: UK\nLanguages: English, Welsh, cy\n", false, 0, NULL,
	  "Name: Ana Pereira\nCountry: United Kingdom\nSector: academic\n"
	  "Workplace: Universidade de São Paulo\nYears: 3\n"
	  "Interests: cataloguing, open access, research data\nLanguages: English, Welsh\n"
	  "About: \n" DEFAULTS "Mail language: \n" },
	{ "mail language in another language", "Mail language: español\n", false, 0, NULL,
	  "Name: Ana Pereira\nCountry: Brazil\nSector: academic\n"
	  "Workplace: Universidade de São Paulo\nYears: 3\n"
	  "Interests: cataloguing, open access, research data\nLanguages: English\n"
	  "About: \n" DEFAULTS "Mail language: Spanish\n" },
	{ "mail language code", "Mail-language: fr\n", false, 0, NULL, NULL },
	{ "mail language unknown", "Mail language: Elvish\n", false, 1,
	  "Mail language: \"Elvish\" is not a language we know", NULL },
	{ "same or any with list", "Partner sector: same, public\n", false, 1,
	  "Partner sector: \"same\" is not a choice we know", NULL },
	{ "interest too long",
	  "Interests: a, 1234567890123456789012345678901234567890123456789012345678901\n", false,
	  1, "is longer than 60 characters", NULL },
	{ "interests 21",
	  "Interests: 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21\n", false, 1,
	  "Interests: more than 20 interests", NULL },
	{ "interests 20 with dups",
	  "Interests: 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,,,;\n", false, 0,
	  NULL, NULL },
	{ "languages 11",
	  "Languages: en, fr, de, es, pt, it, nl, sv, da, fi, pl\n", false, 1,
	  "Languages: more than 10 languages", NULL },
	{ "languages and", "Languages: Portuguese and English\n", false, 0, NULL, NULL },
	{ "unknown language", "Languages: English, Elvish\n", false, 1,
	  "Languages: \"Elvish\" is not a language we know", NULL },
	{ "languages only separators", "Languages: , ;\n", false, 1,
	  "Languages: \", ;\" is not a language we know", NULL },
	{ "sector synonyms", "Sector: Public Library\n", false, 0, NULL, NULL },
	{ "long quoted value",
	  "Country: 123456789012345678901234567890123456789012345678901234567890EXTRA\n", false,
	  1, "Country: \"123456789012345678901234567890123456789012345678901234567890…\" is not",
	  NULL },
	{ "unknown before first field ignored", "Subject: hi\nGreeting: hello\nDigest: yes\n",
	  false, 0, NULL, NULL },
};

static struct profile ana;

static int
setup(void **state)
{
	char err[256];
	struct buf problems;

	if (iso_codes_load(NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "iso_codes_load: %s\n", err);
		return -1;
	}
	/* run from the top of the checkout, as make unit does */
	if (words_load("templates", err, sizeof(err)) < 0) {
		fprintf(stderr, "words_load: %s\n", err);
		return -1;
	}
	buf_init(&problems, 0);
	if (form_parse(ANA, true, NULL, "eng", NULL, &ana, &problems) != 0) {
		fprintf(stderr, "base profile: %s\n", problems.data);
		return -1;
	}
	buf_free(&problems);
	return 0;
}

static int
teardown(void **state)
{
	profile_free(&ana);
	iso_codes_free();
	words_free();
	return 0;
}

static void
test_table(void **state)
{
	for (size_t i = 0; i < nitems(cases); i++) {
		const struct form_case *t = &cases[i];
		struct profile p;
		struct buf problems;
		const char *got;
		char *render;
		int n;

		buf_init(&problems, 0);
		n = form_parse(t->body, t->full, t->full ? NULL : &ana, "English", NULL, &p, &problems);
		got = problems.data ? problems.data : "";
		if (n != t->want_count)
			fail_msg("%s: %d problems, want %d:\n%s", t->name, n, t->want_count, got);
		if (t->want_problem && strstr(got, t->want_problem) == NULL)
			fail_msg("%s: no \"%s\" in:\n%s", t->name, t->want_problem, got);
		render = form_render(&p, true, NULL);
		if (t->want_render && strcmp(render, t->want_render) != 0)
			fail_msg("%s: rendered\n%s\nwant\n%s", t->name, render, t->want_render);
		/* Every problem is one line "Field: ...; accepted: ...". */
		for (const char *l = got; *l; l = strchr(l, '\n') + 1) {
			if (strstr(l, ": ") == NULL || strstr(l, "; accepted: ") == NULL)
				fail_msg("%s: bad problem line: %s", t->name, l);
		}
		free(render);
		profile_free(&p);
		buf_free(&problems);
	}
}

static void
test_limits(void **state)
{
	struct profile p;
	struct buf problems;
	char *body;
	char name[201];

	buf_init(&problems, 0);
	/* 100 characters (200 bytes) of Name are fine, 101 are not. */
	memset(name, 0, sizeof(name));
	for (int i = 0; i < 100; i++)
		memcpy(name + 2 * i, "\xc3\xa9", 2);
	body = xasprintf("Name: %s\n", name);
	assert_int_equal(form_parse(body, false, &ana, NULL, NULL, &p, &problems), 0);
	assert_string_equal(p.name, name);
	profile_free(&p);
	free(body);
	body = xasprintf("Name: %sx\n", name);
	assert_int_equal(form_parse(body, false, &ana, NULL, NULL, &p, &problems), 1);
	assert_string_equal(p.name, "Ana Pereira");
	profile_free(&p);
	free(body);

	/* About: 2000 characters fine, 2001 not; 40 KB of value is refused, not stored. */
	body = xmalloc(50000);
	strcpy(body, "About: ");
	memset(body + 7, 'a', 2000);
	strcpy(body + 2007, "\n");
	assert_int_equal(form_parse(body, false, &ana, NULL, NULL, &p, &problems), 0);
	assert_int_equal(strlen(p.about), 2000);
	profile_free(&p);
	strcpy(body + 2007, "a\n");
	buf_reset(&problems);
	assert_int_equal(form_parse(body, false, &ana, NULL, NULL, &p, &problems), 1);
	assert_non_null(strstr(problems.data, "About: is 2001 characters long"));
	assert_null(p.about);
	profile_free(&p);
	memset(body + 7, 'a', 40000);
	strcpy(body + 40007, "\n");
	assert_int_equal(form_parse(body, false, &ana, NULL, NULL, &p, &problems), 1);
	profile_free(&p);

	/* A huge body of unknown fields gives a bounded answer. */
	free(body);
	{
		struct buf b;

		buf_init(&b, 0);
		buf_adds(&b, "Digest: yes\n");
		for (int i = 0; i < 20000; i++)
			buf_adds(&b, "Colour: blue\n");
		body = buf_steal(&b);
	}
	buf_reset(&problems);
	assert_int_equal(form_parse(body, false, &ana, NULL, NULL, &p, &problems), 10);
	assert_true(problems.len < 2000);
	profile_free(&p);
	free(body);
	buf_free(&problems);
}

static void
test_roundtrip(void **state)
{
	static const char *body =
		"Name: Zoë Ñandú-Østergård\nCountry: CI\nSector: national\n"
		"Workplace: Bibliothèque nationale, Abidjan\nYears: 15\n"
		"Interests: AI/ML, digitisation; rare books\nLanguages: fr, Swahili, el, bn, cmn\n"
		"About: Hello: world\nPartner sector: government, national\n"
		"Partner stage: mid, early\nNotes: a, b; c\nDigest: no\n";
	struct profile p, q;
	struct buf problems;
	char *r1, *r2;

	buf_init(&problems, 0);
	assert_int_equal(form_parse(body, true, NULL, NULL, NULL, &p, &problems), 0);
	assert_string_equal(p.country, "CI");
	assert_string_equal(p.languages, "fra,swa,ell,ben,cmn");
	assert_string_equal(p.interests, "AI/ML, digitisation, rare books");
	assert_string_equal(p.partner_sector, "national,government");
	assert_string_equal(p.partner_stage, "early,mid");
	assert_string_equal(profile_stage(p.years), "late");
	r1 = form_render(&p, true, NULL);
	assert_int_equal(form_parse(r1, true, NULL, NULL, NULL, &q, &problems), 0);
	r2 = form_render(&q, true, NULL);
	assert_string_equal(r1, r2);
	free(r2);
	r2 = form_render(&q, false, NULL);
	assert_null(strstr(r2, "Notes"));
	assert_null(strstr(r2, "Partner"));
	assert_null(strstr(r2, "Digest"));
	assert_non_null(strstr(r2, "About: Hello: world\n"));
	free(r1);
	free(r2);
	profile_free(&p);
	profile_free(&q);
	buf_free(&problems);
}

/* Every shipped set: the form rendered in it reads back to the same profile, in it and
 * in English, and its field names are its own. */
static void
test_roundtrip_languages(void **state)
{
	static const char *body =
		"Name: Zoë Ñandú\nCountry: DE\nSector: special\nWorkplace: Stadtbibliothek\n"
		"Years: 12\nInterests: archives, maps\nLanguages: de, es, pt, fr\n"
		"About: hi\nPartner sector: public, school\nPartner stage: early, late\n"
		"Notes: n\nDigest: yes\nMail language: pt\n";
	static const struct {
		const char *lang, *line;
	} sets[] = {
		{ "es", "País: Alemania\n" }, { "fr", "Pays: Allemagne\n" },
		{ "pt", "País: Alemanha\n" }, { "de", "Land: Deutschland\n" },
		{ "es", "Sector de la pareja: pública, escolar\n" },
		{ "fr", "Étape du binôme: début, fin\n" }, { "pt", "Boletim: sim\n" },
		{ "de", "Rundbrief: ja\n" },
	};
	struct profile p, q;
	struct buf problems;
	char *en, *r, *back;

	buf_init(&problems, 0);
	assert_int_equal(form_parse(body, true, NULL, NULL, NULL, &p, &problems), 0);
	en = form_render(&p, true, NULL);
	for (size_t i = 0; i < nitems(sets); i++) {
		r = form_render(&p, true, sets[i].lang);
		if (strstr(r, sets[i].line) == NULL)
			fail_msg("%s: no \"%s\" in:\n%s", sets[i].lang, sets[i].line, r);
		if (form_parse(r, true, NULL, NULL, sets[i].lang, &q, &problems) != 0)
			fail_msg("%s: %s", sets[i].lang, problems.data);
		back = form_render(&q, true, NULL);
		assert_string_equal(back, en);
		free(back);
		profile_free(&q);
		free(r);
	}
	free(en);
	profile_free(&p);
	buf_free(&problems);
}

/* What people type in their language: field names and words of any set, in any capitals,
 * with or without accents, stored as the English values; problems in the reader's set. */
static void
test_native_words(void **state)
{
	static const char *body =
		"NOMBRE: Ana\npais: españa\nSECTOR: Universitaria\nlugar de trabajo: UCM\n"
		"Anos: 7 años\nIntereses: datos\nIdiomas: español\nSector de la pareja: IGUAL\n"
		"Etapa de la pareja: media, avanzada\nBoletin: SI\nidioma del correo: inglés\n";
	static const char *mixed =
		"Nom: Jean\nLand: Frankreich\nSetor: escolar\nLieu de travail: BnF\n"
		"Berufsjahre: 2 Jahre\nInteresses: x\nLangues: français\n"
		"Partner sector: pareil\nDigest: nein\n";
	struct profile p;
	struct buf problems;

	buf_init(&problems, 0);
	assert_int_equal(form_parse(body, true, NULL, NULL, "es", &p, &problems), 0);
	assert_string_equal(p.country, "ES");
	assert_string_equal(p.sector, "academic");
	assert_int_equal(p.years, 7);
	assert_string_equal(p.partner_sector, "same");
	assert_string_equal(p.partner_stage, "mid,late");
	assert_int_equal(p.digest, 1);
	assert_string_equal(p.mail_language, "eng");
	profile_free(&p);
	/* one form in four languages; "pareil" is no word of any set ("égal" would be: German "egal") */
	assert_int_equal(form_parse(mixed, true, NULL, NULL, "de", &p, &problems), 1);
	assert_string_equal(p.sector, "school");
	assert_int_equal(p.digest, 0);
	assert_string_equal(problems.data,
			    "Bereich des Partners: „pareil“ ist keine Auswahl, die wir kennen; "
			    "möglich: gleich, egal oder eine Liste von Bereichen (öffentlich, "
			    "wissenschaftlich, Schule, Spezialbibliothek, Nationalbibliothek, Behörde, "
			    "andere)\n");
	profile_free(&p);
	buf_reset(&problems);
	/* lists joined with the sets' "and" and "or" */
	assert_int_equal(form_parse("Sector de la pareja: pública y escolar\n"
				    "Etapa del binôme: début ou fin\nSprachen: Deutsch und Englisch\n",
				    false, &ana, NULL, "es", &p, &problems), 1);
	assert_string_equal(p.partner_sector, "public,school");
	assert_string_equal(p.languages, "deu,eng");
	assert_non_null(strstr(problems.data, "Etapa del binôme: campo desconocido"));
	profile_free(&p);
	buf_reset(&problems);
	assert_int_equal(form_parse("Étape du binôme: début ou fin\nIdiomas: español e inglés\n",
				    false, &ana, NULL, "es", &p, &problems), 0);
	assert_string_equal(p.partner_stage, "early,late");
	assert_string_equal(p.languages, "spa,eng");
	profile_free(&p);
	/* an unknown field names the reader's field names */
	assert_int_equal(form_parse("Nombre: Ana\nColor: rojo\n", false, &ana, NULL, "es", &p,
				    &problems), 1);
	assert_string_equal(problems.data,
			    "Color: campo desconocido; se acepta: Nombre, País, Sector, Lugar de "
			    "trabajo, Años, Intereses, Idiomas, Sobre mí, Sector de la pareja, Etapa "
			    "de la pareja, Notas, Boletín, Idioma del correo\n");
	profile_free(&p);
	buf_free(&problems);
}

/* The shipped sets' words name one field or value each; a clash, or a field name no
 * form line can hold, is named. */
static void
test_check_words(void **state)
{
	char dir[] = "/tmp/test_form.XXXXXX", path[64], err[1024];
	struct buf problems;
	FILE *f;

	buf_init(&problems, 0);
	assert_int_equal(form_check_words(&problems), 0);
	assert_int_equal(problems.len, 0);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/words.ini", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("[fields]\nNotes = Notas | COUNTRY\nAbout = Sobre: mi\n"
	      "[values]\nyes = sí | Öffentlich\nsector.public = oeffentlich | offentlich\n", f);
	fclose(f);
	if (words_load(dir, err, sizeof(err)) < 0)
		fail_msg("words_load: %s", err);
	assert_int_equal(form_check_words(&problems), 3);
	assert_non_null(strstr(problems.data, "\"Country\" (default) is Country and \"COUNTRY\" "
					      "(default) is Notes"));
	assert_non_null(strstr(problems.data, "\"Sobre: mi\" is not a field name"));
	assert_non_null(strstr(problems.data, "\"offentlich\" (default) is sector.public and "
					      "\"Öffentlich\" (default) is yes"));
	buf_free(&problems);
	unlink(path);
	rmdir(dir);
	/* the other tests read the shipped words */
	if (words_load("templates", err, sizeof(err)) < 0)
		fail_msg("words_load: %s", err);
}

/* The correction form shows every typed value as typed, valid or not, and no default in
 * place of an invalid one. */
static void
test_render_typed(void **state)
{
	static const char *body =
		"Name: Ana\nCountry: Atlantis\nSector: public\nWorkplace: Biblioteca\n"
		"Years: twelve\nInterests: cataloguing\nLanguages: es,   Klingonese\n"
		"Partner stage: sideways\nDigest: maybe\n";
	struct profile p;
	struct buf problems;
	char *r;

	buf_init(&problems, 0);
	assert_true(form_parse(body, true, NULL, "eng", NULL, &p, &problems) > 0);
	r = form_render_typed(body, &p, true, NULL);
	assert_string_equal(r,
		"Name: Ana\nCountry: Atlantis\nSector: public\nWorkplace: Biblioteca\n"
		"Years: twelve\nInterests: cataloguing\nLanguages: es,   Klingonese\nAbout: \n"
		"Partner sector: same\nPartner stage: sideways\nNotes: \nDigest: maybe\n"
		"Mail language: \n");
	free(r);
	profile_free(&p);
	buf_free(&problems);
}

static void
test_profile(void **state)
{
	struct profile p, q;

	assert_null(profile_stage(-1));
	assert_string_equal(profile_stage(0), "early");
	assert_string_equal(profile_stage(4), "early");
	assert_string_equal(profile_stage(5), "mid");
	assert_string_equal(profile_stage(14), "mid");
	assert_string_equal(profile_stage(15), "late");
	assert_string_equal(profile_stage(70), "late");

	profile_init(&p);
	profile_copy(&q, &p);
	assert_null(q.name);
	assert_int_equal(q.years, -1);
	assert_int_equal(q.digest, -1);
	profile_free(&q);
	profile_copy(&q, &ana);
	assert_string_equal(q.name, ana.name);
	assert_ptr_not_equal(q.name, ana.name);
	profile_free(&q);
	profile_free(&q);       /* twice is harmless */

	/* An empty profile renders every line with an empty value. */
	{
		char *r = form_render(&p, true, NULL);

		assert_string_equal(r, "Name: \nCountry: \nSector: \nWorkplace: \nYears: \n"
				       "Interests: \nLanguages: \nAbout: \nPartner sector: \n"
				       "Partner stage: \nNotes: \nDigest: \nMail language: \n");
		free(r);
	}
	/* A profile from elsewhere with a line break cannot add a field line. */
	p.name = xstrdup("Eve\nCountry: XX");
	{
		char *r = form_render(&p, false, NULL);

		assert_non_null(strstr(r, "Name: Eve Country: XX\n"));
		free(r);
	}
	profile_free(&p);
}

static void
test_volume(void **state)
{
	struct timespec a, b;
	struct profile p;
	struct buf problems;
	double secs;

	buf_init(&problems, 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 10000; i++) {
		form_parse(ANA "Languages: Portuguese, English\nPartner sector: any\n", true, NULL,
			   "eng", NULL, &p, &problems);
		profile_free(&p);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	assert_int_equal(problems.len, 0);
	print_message("10,000 forms: %.3f s\n", secs);
	buf_free(&problems);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_roundtrip_languages),
		cmocka_unit_test(test_native_words),
		cmocka_unit_test(test_check_words),
		cmocka_unit_test(test_render_typed),
		cmocka_unit_test(test_profile),
		cmocka_unit_test(test_volume),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
