/* iso_macro.c: ISO 639-3 macrolanguages and their individual languages ("zho" and cmn,
 * yue, wuu, ...), so that a Mandarin speaker and a Chinese speaker are seen to share a
 * language (issue #15 part 4). Debian's iso-codes marks the 62 macrolanguages (scope "M")
 * but does not say which individual languages each one covers, so this one table holds
 * that, written from the ISO 639-3 Registration Authority's macrolanguage mappings: each of
 * iso-codes' macrolanguages with its members, sorted by the member's code. Codes retired
 * from ISO 639-3 and absent from iso-codes are left out; test_iso_codes.c checks every row
 * against iso-codes' iso_639-3.json (a macrolanguage of scope M, an individual language of
 * scope I, each member in one row). Static data: nothing is allocated. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "iso_codes.h"
#include "util.h"

struct iso_macro {
	char member[4], macro[4];
};

static const struct iso_macro macros[] = {
	{ "aae", "sqi" }, { "aao", "ara" }, { "aat", "sqi" }, { "abh", "ara" }, { "abv", "ara" }, { "acm", "ara" },
	{ "acq", "ara" }, { "acw", "ara" }, { "acx", "ara" }, { "acy", "ara" }, { "adf", "ara" }, { "aeb", "ara" },
	{ "aec", "ara" }, { "afb", "ara" }, { "aii", "syr" }, { "ajp", "ara" }, { "aju", "jrb" }, { "aln", "sqi" },
	{ "als", "sqi" }, { "apc", "ara" }, { "apd", "ara" }, { "arb", "ara" }, { "arq", "ara" }, { "ars", "ara" },
	{ "ary", "ara" }, { "arz", "ara" }, { "auz", "ara" }, { "avl", "ara" }, { "ayc", "aym" }, { "ayh", "ara" },
	{ "ayl", "ara" }, { "ayn", "ara" }, { "ayp", "ara" }, { "ayr", "aym" }, { "azb", "aze" }, { "azj", "aze" },
	{ "bcc", "bal" }, { "bcl", "bik" }, { "bdt", "gba" }, { "bgn", "bal" }, { "bgp", "bal" }, { "bgq", "raj" },
	{ "bhr", "mlg" }, { "bjn", "msa" }, { "bln", "bik" }, { "bmm", "mlg" }, { "bos", "hbs" }, { "btj", "msa" },
	{ "bto", "bik" }, { "bve", "msa" }, { "bvu", "msa" }, { "bxk", "luy" }, { "bxm", "bua" }, { "bxr", "bua" },
	{ "bxu", "bua" }, { "bzc", "mlg" }, { "cdo", "zho" }, { "ciw", "oji" }, { "cjy", "zho" }, { "ckb", "kur" },
	{ "cld", "syr" }, { "cmn", "zho" }, { "cnp", "zho" }, { "cnr", "hbs" }, { "coa", "msa" }, { "cpx", "zho" },
	{ "cqd", "hmn" }, { "crj", "cre" }, { "crk", "cre" }, { "crl", "cre" }, { "crm", "cre" }, { "csp", "zho" },
	{ "csw", "cre" }, { "cts", "bik" }, { "cwd", "cre" }, { "czh", "zho" }, { "czo", "zho" }, { "dgo", "doi" },
	{ "dhd", "mwr" }, { "dib", "din" }, { "dik", "din" }, { "dip", "din" }, { "diq", "zza" }, { "diw", "din" },
	{ "dks", "din" }, { "dty", "nep" }, { "dup", "msa" }, { "ebk", "bnc" }, { "ekk", "est" }, { "emk", "man" },
	{ "enb", "kln" }, { "esg", "gon" }, { "esi", "ipk" }, { "esk", "ipk" }, { "eyo", "kln" }, { "fat", "aka" },
	{ "fbl", "bik" }, { "ffm", "ful" }, { "fub", "ful" }, { "fuc", "ful" }, { "fue", "ful" }, { "fuf", "ful" },
	{ "fuh", "ful" }, { "fui", "ful" }, { "fuq", "ful" }, { "fuv", "ful" }, { "gan", "zho" }, { "gax", "orm" },
	{ "gaz", "orm" }, { "gbo", "grb" }, { "gbp", "gba" }, { "gbq", "gba" }, { "gda", "raj" }, { "gec", "grb" },
	{ "gju", "raj" }, { "gkp", "kpe" }, { "gmm", "gba" }, { "gno", "gon" }, { "gnw", "grn" }, { "gom", "kok" },
	{ "grj", "grb" }, { "grv", "grb" }, { "gry", "grb" }, { "gso", "gba" }, { "gug", "grn" }, { "gui", "grn" },
	{ "gun", "grn" }, { "gya", "gba" }, { "hae", "orm" }, { "hak", "zho" }, { "hax", "hai" }, { "hdn", "hai" },
	{ "hea", "hmn" }, { "hji", "msa" }, { "hma", "hmn" }, { "hmc", "hmn" }, { "hmd", "hmn" }, { "hme", "hmn" },
	{ "hmg", "hmn" }, { "hmh", "hmn" }, { "hmi", "hmn" }, { "hmj", "hmn" }, { "hml", "hmn" }, { "hmm", "hmn" },
	{ "hmp", "hmn" }, { "hmq", "hmn" }, { "hms", "hmn" }, { "hmw", "hmn" }, { "hmy", "hmn" }, { "hmz", "hmn" },
	{ "hnd", "lah" }, { "hnj", "hmn" }, { "hno", "lah" }, { "hoj", "raj" }, { "hrm", "hmn" }, { "hrv", "hbs" },
	{ "hsn", "zho" }, { "huj", "hmn" }, { "ida", "luy" }, { "ike", "iku" }, { "ikt", "iku" }, { "ind", "msa" },
	{ "jak", "msa" }, { "jat", "lah" }, { "jax", "msa" }, { "jye", "jrb" }, { "kby", "kau" }, { "khk", "mon" },
	{ "kiu", "zza" }, { "kmr", "kur" }, { "knc", "kau" }, { "kng", "kon" }, { "knn", "kok" }, { "koi", "kom" },
	{ "kpv", "kom" }, { "krt", "kau" }, { "kvb", "msa" }, { "kvr", "msa" }, { "kwy", "kon" }, { "kxd", "msa" },
	{ "lbk", "bnc" }, { "lbl", "bik" }, { "lce", "msa" }, { "lcf", "msa" }, { "ldi", "kon" }, { "liw", "msa" },
	{ "lkb", "luy" }, { "lko", "luy" }, { "lks", "luy" }, { "lri", "luy" }, { "lrm", "luy" }, { "lsm", "luy" },
	{ "ltg", "lav" }, { "lto", "luy" }, { "lts", "luy" }, { "lvs", "lav" }, { "lwg", "luy" }, { "lzh", "zho" },
	{ "max", "msa" }, { "meo", "msa" }, { "mfa", "msa" }, { "mfb", "msa" }, { "mhr", "chm" }, { "min", "msa" },
	{ "mku", "man" }, { "mlq", "man" }, { "mmr", "hmn" }, { "mnk", "man" }, { "mnp", "zho" }, { "mqg", "msa" },
	{ "mrj", "chm" }, { "msc", "man" }, { "msh", "mlg" }, { "msi", "msa" }, { "mtr", "mwr" }, { "mui", "msa" },
	{ "mup", "raj" }, { "muq", "hmn" }, { "mve", "mwr" }, { "mvf", "mon" }, { "mwk", "man" }, { "mww", "hmn" },
	{ "nan", "zho" }, { "nhd", "grn" }, { "niq", "kln" }, { "nle", "luy" }, { "nno", "nor" }, { "nob", "nor" },
	{ "npi", "nep" }, { "nyd", "luy" }, { "obk", "bnc" }, { "ojb", "oji" }, { "ojc", "oji" }, { "ojg", "oji" },
	{ "ojs", "oji" }, { "ojw", "oji" }, { "oki", "kln" }, { "orc", "orm" }, { "orn", "msa" }, { "ors", "msa" },
	{ "ory", "ori" }, { "otw", "oji" }, { "pbt", "pus" }, { "pbu", "pus" }, { "pel", "msa" }, { "pes", "fas" },
	{ "pga", "ara" }, { "phr", "lah" }, { "pko", "kln" }, { "plt", "mlg" }, { "pnb", "lah" }, { "prs", "fas" },
	{ "pse", "msa" }, { "pst", "pus" }, { "qub", "que" }, { "qud", "que" }, { "quf", "que" }, { "qug", "que" },
	{ "quh", "que" }, { "quk", "que" }, { "qul", "que" }, { "qup", "que" }, { "qur", "que" }, { "qus", "que" },
	{ "quw", "que" }, { "qux", "que" }, { "quy", "que" }, { "quz", "que" }, { "qva", "que" }, { "qvc", "que" },
	{ "qve", "que" }, { "qvh", "que" }, { "qvi", "que" }, { "qvj", "que" }, { "qvl", "que" }, { "qvm", "que" },
	{ "qvn", "que" }, { "qvo", "que" }, { "qvp", "que" }, { "qvs", "que" }, { "qvw", "que" }, { "qvz", "que" },
	{ "qwa", "que" }, { "qwc", "que" }, { "qwh", "que" }, { "qws", "que" }, { "qxa", "que" }, { "qxc", "que" },
	{ "qxh", "que" }, { "qxl", "que" }, { "qxn", "que" }, { "qxo", "que" }, { "qxp", "que" }, { "qxr", "que" },
	{ "qxt", "que" }, { "qxu", "que" }, { "qxw", "que" }, { "rag", "luy" }, { "rbk", "bnc" }, { "rbl", "bik" },
	{ "rmc", "rom" }, { "rmf", "rom" }, { "rml", "rom" }, { "rmn", "rom" }, { "rmo", "rom" }, { "rmw", "rom" },
	{ "rmy", "rom" }, { "rwr", "mwr" }, { "scs", "den" }, { "sdc", "srd" }, { "sdh", "kur" }, { "sdn", "srd" },
	{ "sfm", "hmn" }, { "sgc", "kln" }, { "shu", "ara" }, { "skg", "mlg" }, { "skr", "lah" }, { "spv", "ori" },
	{ "spy", "kln" }, { "src", "srd" }, { "sro", "srd" }, { "srp", "hbs" }, { "ssh", "ara" }, { "swc", "swa" },
	{ "swh", "swa" }, { "swv", "mwr" }, { "taq", "tmh" }, { "tdx", "mlg" }, { "tec", "kln" }, { "thv", "tmh" },
	{ "thz", "tmh" }, { "tkg", "mlg" }, { "tmw", "msa" }, { "ttq", "tmh" }, { "tuy", "kln" }, { "twi", "aka" },
	{ "txy", "mlg" }, { "ubl", "bik" }, { "umu", "del" }, { "unm", "del" }, { "urk", "msa" }, { "uzn", "uzb" },
	{ "uzs", "uzb" }, { "vbk", "bnc" }, { "vkk", "msa" }, { "vkt", "msa" }, { "vro", "est" }, { "wbr", "raj" },
	{ "wry", "mwr" }, { "wsg", "gon" }, { "wuu", "zho" }, { "xhe", "lah" }, { "xmm", "msa" }, { "xmv", "mlg" },
	{ "xmw", "mlg" }, { "xnr", "doi" }, { "xpe", "kpe" }, { "xsl", "den" }, { "ydd", "yid" }, { "yhd", "jrb" },
	{ "yih", "yid" }, { "yud", "jrb" }, { "yue", "zho" }, { "zaa", "zap" }, { "zab", "zap" }, { "zac", "zap" },
	{ "zad", "zap" }, { "zae", "zap" }, { "zaf", "zap" }, { "zai", "zap" }, { "zam", "zap" }, { "zao", "zap" },
	{ "zaq", "zap" }, { "zar", "zap" }, { "zas", "zap" }, { "zat", "zap" }, { "zav", "zap" }, { "zaw", "zap" },
	{ "zax", "zap" }, { "zca", "zap" }, { "zch", "zha" }, { "zeh", "zha" }, { "zgb", "zha" }, { "zgm", "zha" },
	{ "zgn", "zha" }, { "zhd", "zha" }, { "zhn", "zha" }, { "zlj", "zha" }, { "zlm", "msa" }, { "zln", "zha" },
	{ "zlq", "zha" }, { "zmi", "msa" }, { "zoo", "zap" }, { "zpa", "zap" }, { "zpb", "zap" }, { "zpc", "zap" },
	{ "zpd", "zap" }, { "zpe", "zap" }, { "zpf", "zap" }, { "zpg", "zap" }, { "zph", "zap" }, { "zpi", "zap" },
	{ "zpj", "zap" }, { "zpk", "zap" }, { "zpl", "zap" }, { "zpm", "zap" }, { "zpn", "zap" }, { "zpo", "zap" },
	{ "zpp", "zap" }, { "zpq", "zap" }, { "zpr", "zap" }, { "zps", "zap" }, { "zpt", "zap" }, { "zpu", "zap" },
	{ "zpv", "zap" }, { "zpw", "zap" }, { "zpx", "zap" }, { "zpy", "zap" }, { "zpz", "zap" }, { "zqe", "zha" },
	{ "zsm", "msa" }, { "zsr", "zap" }, { "zte", "zap" }, { "ztg", "zap" }, { "ztl", "zap" }, { "ztm", "zap" },
	{ "ztn", "zap" }, { "ztp", "zap" }, { "ztq", "zap" }, { "zts", "zap" }, { "ztt", "zap" }, { "ztu", "zap" },
	{ "ztx", "zap" }, { "zty", "zap" }, { "zyb", "zha" }, { "zyg", "zha" }, { "zyj", "zha" }, { "zyn", "zha" },
	{ "zzj", "zha" },
};

static int
macro_cmp(const void *key, const void *item)
{
	return strcmp(key, ((const struct iso_macro *)item)->member);
}

const char *
iso_language_macro(const char *code)
{
	const struct iso_macro *m;

	if (code == NULL || strlen(code) != 3)
		return NULL;
	m = bsearch(code, macros, nitems(macros), sizeof(macros[0]), macro_cmp);
	return m ? m->macro : NULL;
}

const char *
iso_language_member(const char *macro, size_t *i)
{
	for (; macro && *i < nitems(macros); (*i)++)
		if (strcmp(macros[*i].macro, macro) == 0)
			return macros[(*i)++].member;
	return NULL;
}

bool
iso_language_related(const char *a, const char *b)
{
	const char *m;

	if (a == NULL || b == NULL)
		return false;
	if (strcmp(a, b) == 0)
		return true;
	return ((m = iso_language_macro(a)) != NULL && strcmp(m, b) == 0) ||
	       ((m = iso_language_macro(b)) != NULL && strcmp(m, a) == 0);
}
