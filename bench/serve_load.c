/*
 * serve_load.c - `make bench`: submissions per second to `provledger serve`
 * over HTTP, and the latency of each, beside the local-append rate of the
 * same envelopes measured in the same run.
 *
 *   serve_load envelopes FILE N        write N self-signed key entries (fresh
 *                                      keys, one created time), one per line
 *   serve_load http URL FILE CLIENTS   POST every line of FILE to URL/add from
 *                                      CLIENTS threads (keep-alive connections);
 *                                      prints "N ok, rate/s, p50 ms, p99 ms"
 *   serve_load local DIR FILE          append every line to the ledger at DIR
 *                                      one by one (pl_ledger_append, durable
 *                                      writes); prints entries/s
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pl_index.h"
#include "pl_key.h"
#include "pl_ledger.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "serve_load: %s: %s\n", what, pl_error_last());
	exit(3);
}

static char **lines;
static size_t nlines;

static void load(const char *file)
{
	FILE *f = fopen(file, "r");
	char *line = NULL;
	size_t cap = 0, alloc = 0;
	ssize_t n;
	if (!f)
		die(file);
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (nlines == alloc) {
			alloc = alloc ? 2 * alloc : 1024;
			lines = realloc(lines, alloc * sizeof(*lines));
		}
		lines[nlines++] = strdup(line);
	}
	free(line);
	fclose(f);
}

static int envelopes(const char *file, int n)
{
	FILE *f = fopen(file, "w");
	char created[32];
	pl_rfc3339(created, (int64_t)time(NULL));
	if (!f)
		die(file);
	for (int i = 0; i < n; i++) {
		pl_key *k = NULL;
		pl_buf pub = PL_BUF_INIT, env = PL_BUF_INIT;
		unsigned char raw[32];
		char hex[65], name[32], sname[40];
		json_t *subj, *pred;
		snprintf(name, sizeof(name), "b%lld-%d", (long long)time(NULL) % 100000000, i);
		snprintf(sname, sizeof(sname), "key:%s", name);
		if (pl_key_generate(&k) < 0 || pl_key_openssh(&pub, k, name) < 0)
			die("key");
		pl_key_raw(k, raw);
		pl_hex(hex, raw, 32);
		subj = json_pack("[{s:s, s:{s:s}}]", "name", sname, "digest", "sha256", hex);
		pred = json_pack("{s:s, s:s, s:s, s:s}", "created", created, "name", name, "role",
		                 "lab", "public_key", pub.ptr);
		if (pl_entry__sign(&env, k, "key", subj, pred) < 0)
			die("sign");
		fprintf(f, "%s\n", env.ptr);
		pl_key_free(k);
		pl_buf_free(&pub);
		pl_buf_free(&env);
	}
	return fclose(f) == 0 ? 0 : 3;
}

typedef struct {
	const char *url;
	size_t first, step;
	double *lat; /* per line */
	size_t ok, bad;
} worker;

static size_t sink(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

static void *run(void *arg)
{
	worker *w = arg;
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	char url[1024];
	snprintf(url, sizeof(url), "%s/add", w->url);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	for (size_t i = w->first; i < nlines; i += w->step) {
		long code = 0;
		double t0 = now();
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, lines[i]);
		if (curl_easy_perform(c) == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		w->lat[i] = now() - t0;
		if (code == 200)
			w->ok++;
		else
			w->bad++;
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int http(const char *url, const char *file, int clients)
{
	pthread_t th[256];
	worker w[256];
	double *lat, t0, t;
	size_t ok = 0, bad = 0;
	load(file);
	lat = calloc(nlines ? nlines : 1, sizeof(*lat));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (clients < 1 || clients > 256)
		clients = 16;
	t0 = now();
	for (int i = 0; i < clients; i++) {
		w[i] = (worker){url, (size_t)i, (size_t)clients, lat, 0, 0};
		pthread_create(&th[i], NULL, run, &w[i]);
	}
	for (int i = 0; i < clients; i++) {
		pthread_join(th[i], NULL);
		ok += w[i].ok;
		bad += w[i].bad;
	}
	t = now() - t0;
	qsort(lat, nlines, sizeof(*lat), cmp);
	printf("%zu ok %zu refused %.0f /s p50 %.1f ms p99 %.1f ms\n", ok, bad,
	       (double)nlines / t, 1000 * lat[nlines / 2], 1000 * lat[nlines * 99 / 100]);
	free(lat);
	curl_global_cleanup();
	return bad ? 1 : 0;
}

static int local(const char *dir, const char *file)
{
	pl_ledger *l = NULL;
	double t0;
	load(file);
	pl_ledger_durable_writes(1);
	if (pl_ledger_open(&l, dir) < 0)
		die(dir);
	t0 = now();
	for (size_t i = 0; i < nlines; i++)
		if (pl_ledger_append(l, NULL, lines[i], strlen(lines[i]), NULL, 0) < 0)
			die("append");
	printf("%.0f /s\n", (double)nlines / (now() - t0));
	pl_ledger_free(l);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "envelopes") == 0)
		return envelopes(argv[2], atoi(argv[3]));
	if (argc == 5 && strcmp(argv[1], "http") == 0)
		return http(argv[2], argv[3], atoi(argv[4]));
	if (argc == 4 && strcmp(argv[1], "local") == 0)
		return local(argv[2], argv[3]);
	fprintf(stderr, "usage: serve_load envelopes FILE N | http URL FILE CLIENTS | local DIR "
	                "FILE\n");
	return 2;
}
