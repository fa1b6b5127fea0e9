/* auth_results.h: is a message authenticated as coming from its From domain?
 * Reads RFC 8601 Authentication-Results values (topmost first); pure, no allocation
 * the caller sees. */
#ifndef ILN_AUTH_RESULTS_H
#define ILN_AUTH_RESULTS_H

#include <stdbool.h>
#include <stddef.h>

/* auth_results_pass: true when the topmost Authentication-Results whose authserv-id
 * is trusted_id says dkim=pass with header.d aligned with from_addr's domain (equal,
 * or from's domain a subdomain of it), or dmarc=pass with header.from equal to that
 * domain. *why names the outcome (static string). */
bool auth_results_pass(char *const *values, size_t n, const char *trusted_id,
		       const char *from_addr, const char **why);

#endif
