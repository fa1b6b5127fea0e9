/* tls_verify.h: checking a TLS server's certificate, and the rules both network
 * transports follow. inbound_imap.c checks the chain itself with tls_verify_chain(),
 * since Debian's libetpan 1.9.4 checks nothing. outbound_smtp.c leaves the check to
 * libcurl (CURLOPT_SSL_VERIFYPEER and VERIFYHOST), whose GnuTLS build offers no hook for
 * a check of our own, and shares only the CA-file rule. */
#ifndef ILN_TLS_VERIFY_H
#define ILN_TLS_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include <gnutls/gnutls.h>

/* tls_ca_file: the CA file to trust, from the configured value: NULL, meaning the
 * system store, when it is unset or empty. */
const char *tls_ca_file(const char *configured);
/* tls_host_is_ip: host is an IPv4 or IPv6 literal: it gets no SNI (RFC 6066) and is
 * matched against the certificate's IP addresses rather than its DNS names. */
bool tls_host_is_ip(const char *host);
/* tls_verify_chain: the server's chain (DER, its own certificate first) checked against
 * ca_file (NULL: the system store) for a TLS server called host (a DNS name or an IP
 * literal). 0, or -1 with err saying why. The caller keeps the chain. */
int tls_verify_chain(const gnutls_datum_t *chain, size_t n, const char *host,
    const char *ca_file, char *err, size_t errsz);

#endif
