/*
 * key_internal.h - what key.c shares with key_openssh.c (OpenSSH private key
 * files) and key_agent.c (keys held by ssh-agent). Not part of the public
 * API.
 */
#ifndef PL_KEY_INTERNAL_H
#define PL_KEY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "pl_common.h"
#include "pl_key.h"

struct pl_key {
	EVP_PKEY *pkey; /* the private key, or only the public one for agent keys */
	unsigned char pub[32];
	int has_private;    /* pkey holds the private half, or agent_socket is set */
	char *agent_socket; /* not NULL: ssh-agent at this socket signs (key_agent.c) */
};

/* Wrap an Ed25519 EVP_PKEY (taken over, freed on failure too). */
int pl_key__wrap(pl_key **out, EVP_PKEY *pkey, int has_private);

/* Parse an "-----BEGIN OPENSSH PRIVATE KEY-----" file's text (openssh-key-v1,
 * PROTOCOL.key): one ssh-ed25519 key, unencrypted or aes256-ctr /
 * aes256-gcm@openssh.com with bcrypt. path names the file in messages and is
 * handed to the passphrase callback. PL_EINVALID on anything malformed,
 * unsupported or inconsistent, and on a wrong passphrase. */
int pl_key__load_openssh(pl_key **out, const char *path, const char *text, size_t len,
                         const pl_key_load_opts *opts);

/* Ed25519 signature of msg by ssh-agent (k->agent_socket), checked against
 * k's public key before it is returned. */
int pl_key__agent_sign(const pl_key *k, unsigned char sig[64], const void *msg, size_t len);

#endif
