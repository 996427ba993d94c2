/*
 * pl_sshsig.h - OpenSSH SSHSIG signatures (PROTOCOL.sshsig), Ed25519 with
 * SHA-512, as git's gpg.format=ssh writes them (SPEC §5.4).
 */
#ifndef PL_SSHSIG_H
#define PL_SSHSIG_H

#include "pl_common.h"
#include "pl_key.h"

/* Sign msg under namespace ns (non-empty, else PL_EUSAGE) with hash sha512;
 * out receives (appended) the armoured signature
 * "-----BEGIN SSH SIGNATURE-----\n" base64 wrapped at 70 columns
 * "\n-----END SSH SIGNATURE-----\n" byte-identical to `ssh-keygen -Y sign`. */
int pl_sshsig_sign(pl_buf *out, const pl_key *k, const char *ns, const void *msg, size_t len);

/* Verify an armoured signature of msg under namespace ns. The armour is the
 * BEGIN line, base64 lines of 1-76 characters, the END line and at most one
 * final newline. Hash "sha512" and "sha256" are accepted. signer (may be
 * NULL) receives the public key inside the signature (caller frees); when
 * expect is not NULL the signature must be by that key. PL_EVERIFY with the
 * reason otherwise (bad signature, other namespace or key, a key type or hash
 * other than those); PL_EINVALID when the armour or blob is malformed
 * (truncated, trailing bytes, magic, version, non-empty reserved field). */
int pl_sshsig_verify(pl_key **signer, const pl_key *expect, const char *armored, size_t alen,
                     const char *ns, const void *msg, size_t len);

#endif
