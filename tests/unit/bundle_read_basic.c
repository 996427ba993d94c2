/* Unit tests of ledger/bundle_read.c: real and synthetic bundles read the
 * same as jansson reads them, in any member order and with any whitespace;
 * attachments' digests, sizes and bytes; the spool file leaves nothing. */
#include <dirent.h>
#include <sys/stat.h>

#include "bundle_fixture.h"
#include "bundle_read_fixture.h"
#include "ledger_internal.h"

static void gunzip(pl_buf *out, const char *path)
{
	gzFile g = gzopen(path, "rb");
	int n;
	CHECK(g != NULL);
	do {
		CHECK_OK(pl_buf_grow(out, 1 << 16));
		n = gzread(g, out->ptr + out->len, 1 << 16);
		CHECK(n >= 0);
		out->len += (size_t)n;
	} while (n > 0);
	out->ptr[out->len] = '\0';
	gzclose(g);
}

/* An object with the members of o in reverse order, recursively. */
static json_t *reversed(json_t *o)
{
	json_t *r;
	if (json_is_array(o)) {
		size_t i;
		json_t *v;
		r = json_array();
		json_array_foreach(o, i, v) json_array_append_new(r, reversed(v));
		return r;
	}
	if (!json_is_object(o))
		return json_incref(o);
	{
		size_t n = json_object_size(o), i = 0;
		const char **keys = calloc(n + 1, sizeof(*keys));
		const char *k;
		json_t *v;
		json_object_foreach(o, k, v) keys[i++] = k;
		r = json_object();
		while (i--)
			json_object_set_new(r, keys[i], reversed(json_object_get(o, keys[i])));
		free(keys);
	}
	return r;
}

PL_TEST(bundle_read, exported_bundle_reads_as_jansson_reads_it)
{
	fix_ledger f;
	pl_buf doc = PL_BUF_INIT;
	const char *path = br_tmp("big.bundle");
	char dir[4096];
	json_t *j = NULL, *alt;
	char *s;

	snprintf(dir, sizeof(dir), "%s/L", pl_tmpdir());
	CHECK_OK(fix_build(&f, dir));
	CHECK_OK(pl_bundle_write(f.l, path, PL_BUNDLE_MODEL, 15, NULL));
	fix_free(&f);
	gunzip(&doc, path);
	CHECK(br_same_as_jansson(doc.ptr, doc.len));
	CHECK_OK(pl_json_parse(&j, doc.ptr, doc.len, "doc"));
	CHECK_EQ_INT(json_object_size(json_object_get(j, "attachments")), 3);
	/* members in reverse order, pretty-printed with CRLF line ends and tabs */
	alt = reversed(j);
	json_object_set_new(alt, "zz_later", json_pack("{s:[i,{s:n}]}", "x", 1, "y"));
	json_object_set_new(alt, "a_member", json_string("from a later version"));
	s = json_dumps(alt, JSON_INDENT(3));
	{
		pl_buf crlf = PL_BUF_INIT;
		for (char *p = s; *p; p++)
			if (*p == '\n')
				pl_buf_puts(&crlf, "\r\n\t");
			else
				pl_buf_putc(&crlf, *p);
		pl_buf_puts(&crlf, " \n\t\r\n");
		CHECK(br_same_as_jansson(crlf.ptr, crlf.len));
		pl_buf_free(&crlf);
	}
	free(s);
	json_decref(alt);
	json_decref(j);
	pl_buf_free(&doc);
}

PL_TEST(bundle_read, verify_reports_sizes_and_streamed_digests)
{
	fix_ledger f;
	pl_bundle_report r;
	pl_key *op = NULL;
	const char *good = br_tmp("g.bundle"), *bad = br_tmp("b.bundle");
	pl_buf doc = PL_BUF_INIT, c = PL_BUF_INIT;
	json_t *j = NULL, *v;
	const char *name, *first = NULL;
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/L", pl_tmpdir());
	CHECK_OK(fix_build(&f, dir));
	CHECK_OK(pl_key_public(&op, pl_ledger_operator(f.l)));
	CHECK_OK(pl_bundle_write(f.l, good, PL_BUNDLE_MODEL, 15, NULL));
	fix_free(&f);
	CHECK_OK(pl_bundle_verify(&r, good, op, NULL));
	gunzip(&doc, good);
	CHECK_OK(pl_json_parse(&j, doc.ptr, doc.len, "doc"));
	CHECK_EQ_INT(json_object_size(r.attachments), 3);
	json_object_foreach(json_object_get(j, "attachments"), name, v)
	{
		pl_buf dec = PL_BUF_INIT;
		CHECK_OK(pl_base64_decode(&dec, json_string_value(v), json_string_length(v)));
		CHECK_EQ_INT(json_integer_value(
		                 json_object_get(json_object_get(r.attachments, name), "size")),
		             dec.len);
		pl_buf_free(&dec);
		if (!first)
			first = name;
	}
	pl_bundle_report_free(&r);
	/* not base64 (non-canonical padding): a problem naming it, as before */
	json_object_set_new(json_object_get(j, "attachments"), first, json_string("AB=="));
	CHECK_OK(pl_json_canonical(&c, j));
	br_gz(bad, c.ptr, c.len);
	CHECK_ERR(pl_bundle_verify(&r, bad, op, NULL), PL_EVERIFY);
	{
		char want[200];
		snprintf(want, sizeof(want), "attachment %s: not base64", first);
		CHECK_CONTAINS(r.problems.ptr, want);
	}
	CHECK_CONTAINS(
	    json_string_value(json_object_get(json_object_get(r.attachments, first), "invalid")),
	    "non-canonical");
	pl_bundle_report_free(&r);
	/* a value that is not a string: the same problem */
	json_object_set_new(json_object_get(j, "attachments"), first, json_integer(7));
	pl_buf_clear(&c);
	CHECK_OK(pl_json_canonical(&c, j));
	br_gz(bad, c.ptr, c.len);
	CHECK_ERR(pl_bundle_verify(&r, bad, op, NULL), PL_EVERIFY);
	CHECK_CONTAINS(r.problems.ptr, "not base64");
	pl_bundle_report_free(&r);
	/* "attachments" that is not an object: not a bundle, as before */
	json_object_set_new(j, "attachments", json_array());
	pl_buf_clear(&c);
	CHECK_OK(pl_json_canonical(&c, j));
	br_gz(bad, c.ptr, c.len);
	CHECK_ERR(pl_bundle_verify(&r, bad, op, NULL), PL_EINVALID);
	CHECK_CONTAINS(pl_error_last(), "it lacks origin, checkpoint, operator_key, subject, "
	                                "entries or attachments");
	json_decref(j);
	pl_buf_free(&doc);
	pl_buf_free(&c);
	pl_key_free(op);
}

/* Attachments of random bytes, of sizes around the decoder's block edges. */
PL_TEST(bundle_read, attachments_digest_and_read_back)
{
	static const size_t sizes[] = {0, 1, 2, 3, 4, 65534, 65535, 65536, 65537, 200003};
	const size_t n = sizeof(sizes) / sizeof(sizes[0]);
	json_t *doc = json_object(), *atts = json_object();
	pl_buf c = PL_BUF_INIT, *bytes = calloc(n, sizeof(pl_buf));
	char names[10][65];
	pl_bundle_doc *d = NULL;
	unsigned seed = 12345;

	CHECK(bytes != NULL);
	for (size_t i = 0; i < n; i++) {
		pl_buf b64 = PL_BUF_INIT;
		unsigned char h[32];
		CHECK_OK(pl_buf_grow(&bytes[i], sizes[i]));
		for (size_t k = 0; k < sizes[i]; k++) {
			seed = seed * 1103515245u + 12345u;
			bytes[i].ptr[k] = (char)(seed >> 16);
		}
		bytes[i].len = sizes[i];
		pl_sha256(h, bytes[i].ptr, sizes[i]);
		pl_hex(names[i], h, 32);
		CHECK_OK(pl_base64_encode(&b64, (unsigned char *)bytes[i].ptr, sizes[i]));
		json_object_set_new(atts, names[i], json_string(b64.ptr ? b64.ptr : ""));
		pl_buf_free(&b64);
	}
	json_object_set_new(doc, "attachments", atts);
	json_object_set_new(doc, "format", json_string("provledger-bundle/v1"));
	CHECK_OK(pl_json_canonical(&c, doc));
	CHECK(br_same_as_jansson(c.ptr, c.len));
	CHECK_OK(br_read_str(&d, c.ptr, NULL));
	for (size_t i = 0; i < n; i++) {
		const pl_bundle_attachment *a = pl_bundle__doc_find(d, names[i]);
		pl_buf got = PL_BUF_INIT;
		char hex[65];
		CHECK(a != NULL && a->invalid == NULL);
		CHECK_EQ_INT(a->size, sizes[i]);
		pl_hex(hex, a->sha256, 32);
		CHECK_STR(hex, names[i]);
		/* appends to what the buffer holds */
		pl_buf_puts(&got, "x");
		CHECK_OK(pl_bundle__doc_attachment_read(&got, d, names[i], sizes[i]));
		CHECK(got.len == sizes[i] + 1 && !memcmp(got.ptr + 1, bytes[i].ptr, sizes[i]));
		if (sizes[i]) {
			CHECK_ERR(pl_bundle__doc_attachment_read(&got, d, names[i], sizes[i] - 1),
			          PL_ELIMIT);
			CHECK_CONTAINS(pl_error_last(), names[i]);
		}
		pl_buf_free(&got);
		pl_buf_free(&bytes[i]);
	}
	{
		pl_buf got = PL_BUF_INIT;
		CHECK_ERR(pl_bundle__doc_attachment_read(&got, d, "nope", 10), PL_ENOTFOUND);
		CHECK_CONTAINS(pl_error_last(), "attachment nope: not in the bundle");
		CHECK(pl_bundle__doc_find(d, "nope") == NULL);
		CHECK(pl_bundle__doc_attachment(d, n) == NULL);
		pl_buf_free(&got);
	}
	pl_bundle__doc_free(d);
	pl_bundle__doc_free(NULL);
	free(bytes);
	json_decref(doc);
	pl_buf_free(&c);
}

/* JSON escapes are decoded before base64 is: "\u0041" is 'A', "\/" is '/'. */
PL_TEST(bundle_read, escaped_base64_is_decoded_first)
{
	pl_bundle_doc *d = NULL;
	const pl_bundle_attachment *a;
	pl_buf got = PL_BUF_INIT;
	static const char text[] = "{\"attachments\":{\"k\":\"\\u0041A\\/\\/\",\"\\u006b2\":\"\"}}";
	CHECK(br_same_as_jansson_str(text));
	CHECK_OK(br_read_str(&d, text, NULL));
	a = pl_bundle__doc_attachment(d, 0);
	CHECK_STR(a->name, "k");
	CHECK(a->invalid == NULL);
	CHECK_EQ_INT(a->size, 3);
	CHECK_OK(pl_bundle__doc_attachment_read(&got, d, "k", 3));
	CHECK(!memcmp(got.ptr, "\x00\x0f\xff", 3));
	CHECK_STR(pl_bundle__doc_attachment(d, 1)->name, "k2");
	pl_buf_free(&got);
	pl_bundle__doc_free(d);
}

static size_t dir_entries(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	size_t n = 0;
	CHECK(dp != NULL);
	while ((e = readdir(dp)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(dp);
	return n;
}

PL_TEST(bundle_read, the_spool_file_leaves_nothing_behind)
{
	pl_bundle_read_opts o = {0};
	pl_bundle_doc *d = NULL;
	pl_buf got = PL_BUF_INIT;
	const char *spool = br_tmp("spool"), *p = br_tmp("a.gz");

	CHECK(mkdir(spool, 0700) == 0);
	o.tmpdir = spool;
	br_gz_big(p, "{\"attachments\":{\"z\":\"", 4 * 100000, "\"}}");
	CHECK_OK(pl_bundle__read(&d, p, &o));
	CHECK_EQ_INT(dir_entries(spool), 0);
	CHECK_OK(pl_bundle__doc_attachment_read(&got, d, "z", 300000));
	CHECK_EQ_INT(got.len, 300000);
	pl_bundle__doc_free(d);
	CHECK_EQ_INT(dir_entries(spool), 0);
	/* a failure removes it too */
	br_gz_big(p, "{\"attachments\":{\"z\":\"", 4 * 100000, "\"}} x");
	CHECK_ERR(pl_bundle__read(&d, p, &o), PL_EINVALID);
	CHECK_EQ_INT(dir_entries(spool), 0);
	/* and a spool directory that is not there is an I/O error, named */
	o.tmpdir = br_tmp("absent");
	CHECK_ERR(pl_bundle__read(&d, p, &o), PL_ERROR);
	CHECK_CONTAINS(pl_error_last(), "cannot create a spool file for attachments in");
	pl_buf_free(&got);
}
