/* auth_results.c: RFC 8601 Authentication-Results, just enough to trust a coordinator:
 * only the topmost field carrying our own authserv-id counts (fields further down may
 * be forged by the sender; our MTA adds its own on top), and only a pass aligned with
 * the From domain. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth_results.h"
#include "util.h"

#define AR_MAX 4096

/* Copy of v without RFC 5322 comments, lower-cased; caller frees. */
static char *
ar_clean(const char *v)
{
	size_t n = strnlen(v, AR_MAX), o = 0;
	char *s = xmalloc(n + 1);
	int depth = 0;
	bool quoted = false;

	for (size_t i = 0; i < n; i++) {
		char c = v[i];

		if (quoted) {
			if (c == '"')
				quoted = false;
			else if (depth == 0)
				s[o++] = c;
			continue;
		}
		if (c == '"' && depth == 0)
			quoted = true;
		else if (c == '(')
			depth++;
		else if (c == ')' && depth > 0)
			depth--;
		else if (depth == 0)
			s[o++] = (c == '\t' || c == '\r' || c == '\n') ? ' ' : c;
	}
	s[o] = '\0';
	str_lower(s);
	return s;
}

/* d aligns with domain: equal, or domain is a subdomain of d (relaxed alignment). */
static bool
aligned(const char *d, const char *domain)
{
	size_t nd = strlen(d), n = strlen(domain);

	if (nd == 0 || strchr(d, '.') == NULL)
		return false;
	if (nd == n)
		return strcmp(d, domain) == 0;
	return n > nd && domain[n - nd - 1] == '.' && strcmp(domain + n - nd, d) == 0;
}

/* The value of property name (e.g. "header.d") in one resinfo, or "". */
static void
ar_prop(const char *resinfo, const char *name, char *out, size_t outsz)
{
	size_t n = strlen(name);
	const char *p = resinfo;

	out[0] = '\0';
	while ((p = strstr(p, name)) != NULL) {
		if ((p == resinfo || p[-1] == ' ') && p[n] == '=') {
			size_t k = strcspn(p + n + 1, " ;");

			if (k >= outsz)
				k = outsz - 1;
			memcpy(out, p + n + 1, k);
			out[k] = '\0';
			if (strchr(out, '@'))
				memmove(out, strrchr(out, '@') + 1, strlen(strrchr(out, '@')));
			return;
		}
		p += n;
	}
}

bool
auth_results_pass(char *const *values, size_t n, const char *trusted_id, const char *from_addr,
		  const char **why)
{
	const char *at = from_addr ? strrchr(from_addr, '@') : NULL;
	char domain[256];
	bool pass = false;

	*why = "no Authentication-Results from our own server";
	if (trusted_id == NULL || trusted_id[0] == '\0' || at == NULL ||
	    strlen(at + 1) >= sizeof(domain))
		return false;
	snprintf(domain, sizeof(domain), "%s", at + 1);
	str_lower(domain);
	for (size_t i = 0; i < n; i++) {
		char *s = ar_clean(values[i]), *save = NULL, *part;
		char *id = strtok_r(s, ";", &save);
		char idbuf[256];

		if (id == NULL) {
			free(s);
			continue;
		}
		id = str_trim(id);
		snprintf(idbuf, sizeof(idbuf), "%.*s", (int)strcspn(id, " "), id);
		if (strcasecmp(idbuf, trusted_id) != 0) {
			free(s);
			continue;
		}
		*why = "our server's Authentication-Results has no aligned pass";
		while ((part = strtok_r(NULL, ";", &save)) != NULL) {
			char prop[256];

			part = str_trim(part);
			if (strncmp(part, "dkim=pass", 9) == 0 && (part[9] == ' ' || !part[9])) {
				ar_prop(part, "header.d", prop, sizeof(prop));
				if (prop[0] == '\0')
					ar_prop(part, "header.i", prop, sizeof(prop));
				if (aligned(prop, domain)) {
					*why = "dkim=pass aligned with From";
					pass = true;
				}
			} else if (strncmp(part, "dmarc=pass", 10) == 0 &&
				   (part[10] == ' ' || !part[10])) {
				ar_prop(part, "header.from", prop, sizeof(prop));
				if (strcmp(prop, domain) == 0) {
					*why = "dmarc=pass for the From domain";
					pass = true;
				}
			}
		}
		free(s);
		break;  /* only the topmost of our own counts */
	}
	return pass;
}
