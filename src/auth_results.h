/* auth_results.h: is a message authenticated as coming from its From domain?
 * Parses RFC 8601 Authentication-Results values (topmost first) by their grammar;
 * pure, no allocation the caller sees. */
#ifndef ILN_AUTH_RESULTS_H
#define ILN_AUTH_RESULTS_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes a collector keeps of one value. A value this long may have been cut short,
 * so the result its text ends in does not count. */
#define AUTH_RESULTS_MAX 2048

/* auth_results_pass: true when the topmost Authentication-Results whose authserv-id
 * is trusted_id (case-insensitive) parses and holds a resinfo saying dkim=pass with
 * header.d (or else header.i's domain) aligned with from_addr's domain (equal, or
 * from's domain a subdomain of it), or dmarc=pass with header.from equal to that
 * domain. Only the structure counts: text in comments, quoted strings, reasons and
 * property values is never read as a result. A field that does not parse, or whose
 * authserv-id cannot be read, ends the search with no pass, as does one that is ours.
 * *why names the outcome (static string). */
bool auth_results_pass(char *const *values, size_t n, const char *trusted_id,
		       const char *from_addr, const char **why);

#endif
