/* Reading a server certificate with OpenSSL's X.509 parser (DESIGN.md "TLS" phase; reference
 * §6.2): its facts (the struct and the pure questions about it are in core/cert.h) and the key
 * CredSSP binds to. No I/O, no verification against a trust store. */
#ifndef RD_AUTH_CERT_H
#define RD_AUTH_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "core/cert.h"

/* Reads one DER certificate occupying exactly n bytes. 0, or RD_E_MALFORMED (not a certificate,
 * trailing bytes, dates OpenSSL cannot read), RD_E_INVALID (NULL arguments), RD_E_NOMEM. *out is
 * fully written on 0 and zeroed otherwise; it owns no memory. */
int rd_cert_facts_from_der(const uint8_t *der, size_t n, rd_cert_facts *out);

/* The SubjectPublicKey of a DER certificate: the contents of its subjectPublicKey BIT STRING (for
 * RSA the DER RSAPublicKey), which CredSSP binds the session to ([MS-CSSP] 3.1.5). Writes at most
 * cap bytes; 0, RD_E_MALFORMED, or RD_E_TOO_BIG. */
int rd_cert_subject_public_key(const uint8_t *der, size_t n, uint8_t *out, size_t cap, size_t *len);

#endif
