/* tls_verify.c: a TLS server's certificate chain checked with GnuTLS against a CA file
 * or the system store, host name or IP address and key purpose included; and the CA-file
 * and IP-literal rules the transports share (see tls_verify.h). Everything allocated
 * here is freed here. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/x509.h>

#include "tls_verify.h"
#include "util.h"

const char *
tls_ca_file(const char *configured)
{
	return configured != NULL && *configured != '\0' ? configured : NULL;
}

bool
tls_host_is_ip(const char *host)
{
	unsigned char tmp[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, tmp) == 1 || inet_pton(AF_INET6, host, tmp) == 1;
}

int
tls_verify_chain(const gnutls_datum_t *chain, size_t n, const char *host,
    const char *ca_file, char *err, size_t errsz)
{
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t *crts = NULL;
	gnutls_typed_vdata_st vdata[2];
	gnutls_datum_t txt = { NULL, 0 };
	unsigned int i, ncrts = 0, status = 0;
	int r, rc = -1;

	if (n == 0) {
		snprintf(err, errsz, "%s: server sent no certificate", host);
		goto out;
	}
	if (gnutls_x509_trust_list_init(&tl, 0) < 0) {
		snprintf(err, errsz, "cannot set up a GnuTLS trust list");
		goto out;
	}
	if (ca_file)
		r = gnutls_x509_trust_list_add_trust_file(tl, ca_file, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
	else
		r = gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
	if (r <= 0) {
		snprintf(err, errsz, "no trusted certificates loaded from %s",
		    ca_file ? ca_file : "the system store");
		goto out;
	}
	crts = xcalloc(n, sizeof(*crts));
	for (i = 0; i < n; i++) {
		if (gnutls_x509_crt_init(&crts[ncrts]) < 0)
			goto out;
		if (gnutls_x509_crt_import(crts[ncrts], &chain[i], GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(crts[ncrts]);
			snprintf(err, errsz, "%s: unreadable server certificate", host);
			goto out;
		}
		ncrts++;
	}
	memset(vdata, 0, sizeof(vdata));
	vdata[0].type = GNUTLS_DT_DNS_HOSTNAME;
	vdata[0].data = (unsigned char *)host;
	vdata[1].type = GNUTLS_DT_KEY_PURPOSE_OID;
	vdata[1].data = (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER;
	r = gnutls_x509_trust_list_verify_crt2(tl, crts, ncrts, vdata, 2, 0, &status, NULL);
	if (r < 0) {
		snprintf(err, errsz, "%s: certificate check failed: %s", host, gnutls_strerror(r));
		goto out;
	}
	if (status != 0) {
		gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &txt, 0);
		snprintf(err, errsz, "%s: server certificate refused: %s", host,
		    txt.data ? (char *)txt.data : "untrusted");
		gnutls_free(txt.data);
		goto out;
	}
	rc = 0;
out:
	for (i = 0; i < ncrts; i++)
		gnutls_x509_crt_deinit(crts[i]);
	free(crts);
	if (tl)
		gnutls_x509_trust_list_deinit(tl, 1);
	return rc;
}
