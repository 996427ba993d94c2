/* lineage_render.c - a lineage document as human text or a Graphviz digraph. */
#include <string.h>

#include "lineage_internal.h"

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static long long num(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void join(pl_buf *b, const json_t *arr)
{
	json_t *v;
	size_t i;
	if (!json_array_size(arr)) {
		pl_buf_puts(b, "-");
		return;
	}
	json_array_foreach(arr, i, v) pl_buf_printf(b, "%s%s", i ? ", " : "", json_string_value(v));
}

static void text_model(pl_buf *b, const json_t *m, const char *what)
{
	const json_t *hw = json_object_get(m, "hardware");
	json_t *w;
	size_t i;
	pl_buf_printf(b, "%s %s (seq %lld)%s\n", what, str(m, "name"), num(m, "seq"),
	              json_is_true(json_object_get(m, "frontier")) ? " [frontier]" : "");
	pl_buf_printf(b, "  lab %s, created %s\n", str(m, "lab"), str(m, "created"));
	pl_buf_printf(b, "  training_flop %s, parameters %s", str(m, "training_flop"),
	              str(m, "parameters"));
	if (hw)
		pl_buf_printf(b, ", hardware %s x %lld", str(hw, "accelerator"), num(hw, "count"));
	pl_buf_puts(b, "\n");
	if (json_object_get(m, "started") || json_object_get(m, "finished"))
		pl_buf_printf(b, "  trained %s .. %s\n", str(m, "started"), str(m, "finished"));
	json_array_foreach(json_object_get(m, "weights"), i, w)
	    pl_buf_printf(b, "  weights %s sha256 %s\n", str(w, "name"), str(w, "sha256"));
	pl_buf_puts(b, "  fine-tuned from: ");
	join(b, json_object_get(m, "base_models"));
	pl_buf_puts(b, "\n  trained on: ");
	join(b, json_object_get(m, "datasets"));
	pl_buf_puts(b, "\n");
}

static int render_text(pl_buf *b, const json_t *doc)
{
	json_t *v, *s;
	size_t i, j;
	text_model(b, json_object_get(doc, "model"), "model");
	json_array_foreach(json_object_get(doc, "base_models"), i, v)
	    text_model(b, v, "base model");
	json_array_foreach(json_object_get(doc, "datasets"), i, v)
	{
		const json_t *t = json_object_get(v, "totals");
		pl_buf_printf(b,
		              "dataset %s (seq %lld): %lld shard%s, %lld record%s, %lld tokens\n",
		              str(v, "name"), num(v, "seq"), num(t, "shards"),
		              num(t, "shards") == 1 ? "" : "s", num(t, "records"),
		              num(t, "records") == 1 ? "" : "s", num(t, "tokens"));
		json_array_foreach(json_object_get(v, "shards"), j, s)
		    pl_buf_printf(b, "  shard %s sha256 %s, %lld record%s, %lld tokens\n",
		                  str(s, "path"), str(s, "sha256"), num(s, "records"),
		                  num(s, "records") == 1 ? "" : "s", num(s, "tokens"));
		json_array_foreach(json_object_get(v, "checks"), j, s) pl_buf_printf(
		    b, "  check seq %lld (%s): %lld record%s, %lld match%s\n", num(s, "seq"),
		    str(s, "created"), num(s, "records"), num(s, "records") == 1 ? "" : "s",
		    num(s, "matches"), num(s, "matches") == 1 ? "" : "es");
	}
	json_array_foreach(json_object_get(doc, "works"), i, v)
	{
		pl_buf_printf(b, "work %s \"%s\" holder %s, terms %s%s; in ", str(v, "id"),
		              str(v, "title"), str(v, "holder"), str(v, "terms"),
		              json_is_true(json_object_get(v, "registered")) ? ""
		                                                             : " (not registered)");
		join(b, json_object_get(v, "datasets"));
		pl_buf_puts(b, "\n");
	}
	pl_buf_puts(b, "attestations:");
	if (!json_array_size(json_object_get(doc, "attestations")))
		pl_buf_puts(b, " none");
	pl_buf_puts(b, "\n");
	json_array_foreach(json_object_get(doc, "attestations"), i, v)
	{
		pl_buf_printf(b, "  seq %lld %s on %s by %s %s", num(v, "seq"), str(v, "kind"),
		              str(v, "subject"), str(v, "issuer_role"), str(v, "issuer"));
		if (json_is_true(json_object_get(v, "revoked")))
			pl_buf_printf(b, " [REVOKED by seq %lld]", num(v, "revoked_by"));
		pl_buf_puts(b, "\n");
	}
	pl_buf_puts(b, "findings:");
	if (!json_array_size(json_object_get(doc, "findings")))
		pl_buf_puts(b, " none");
	pl_buf_puts(b, "\n");
	json_array_foreach(json_object_get(doc, "findings"), i, v) pl_buf_printf(
	    b, "  %s %s: %s\n", str(v, "severity"), str(v, "code"), str(v, "message"));
	return PL_OK;
}

/* A DOT string literal (quoted, escaped). */
static void q(pl_buf *b, const char *s)
{
	pl_buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			pl_buf_putc(b, '\\');
		if (*s == '\n')
			pl_buf_puts(b, "\\n");
		else
			pl_buf_putc(b, *s);
	}
	pl_buf_putc(b, '"');
}

/* Append s, breaking lines at the last space before width columns. */
static void wrap(pl_buf *b, const char *s, size_t width)
{
	while (strlen(s) > width) {
		size_t cut = width;
		while (cut > 0 && s[cut] != ' ')
			cut--;
		if (cut == 0)
			cut = width;
		pl_buf_put(b, s, cut);
		pl_buf_putc(b, '\n');
		s += cut + (s[cut] == ' ');
	}
	pl_buf_puts(b, s);
}

/* The node id of a work: "w_<id>", quoted. */
static void wid(pl_buf *b, const char *id)
{
	pl_buf tmp = PL_BUF_INIT;
	pl_buf_printf(&tmp, "w_%s", id);
	q(b, tmp.ptr);
	pl_buf_free(&tmp);
}

/* Does a finding name this subject? */
static int flagged(const json_t *doc, const char *type, long long seq)
{
	json_t *f;
	size_t i;
	json_array_foreach(json_object_get(doc, "findings"), i,
	                   f) if (strcmp(str(f, "subject_type"), type) == 0 &&
	                          num(f, "seq") == seq) return 1;
	return 0;
}

static void dot_model(pl_buf *b, const json_t *doc, const json_t *m)
{
	pl_buf label = PL_BUF_INIT;
	int red = flagged(doc, "model", num(m, "seq"));
	pl_buf_printf(&label, "model %s\nseq %lld%s\nflop %s, params %s", str(m, "name"),
	              num(m, "seq"),
	              json_is_true(json_object_get(m, "frontier")) ? ", frontier" : "",
	              str(m, "training_flop"), str(m, "parameters"));
	pl_buf_printf(b,
	              "  m%lld [shape=box, style=\"rounded,filled\", fillcolor=\"#cfe2ff\"%s, "
	              "label=",
	              num(m, "seq"), red ? ", color=red, penwidth=2" : "");
	q(b, label.ptr);
	pl_buf_puts(b, "];\n");
	pl_buf_free(&label);
}

static int render_dot(pl_buf *b, const json_t *doc)
{
	const json_t *root = json_object_get(doc, "model");
	json_t *v, *ds = json_object_get(doc, "datasets"), *models = json_array(), *x;
	size_t i, j, k;
	pl_buf label = PL_BUF_INIT;

	json_array_append(models, json_object_get(doc, "model"));
	json_array_extend(models, json_object_get(doc, "base_models"));
	pl_buf_puts(b, "digraph lineage {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n"
	               "  edge [fontname=\"Helvetica\", fontsize=10];\n  label=");
	pl_buf_clear(&label);
	pl_buf_printf(&label, "lineage of %s", str(root, "name"));
	q(b, label.ptr);
	pl_buf_puts(b, ";\n  labelloc=t;\n");
	json_array_foreach(models, i, v) dot_model(b, doc, v);
	json_array_foreach(ds, i, v)
	{
		const json_t *t = json_object_get(v, "totals");
		int red = flagged(doc, "dataset", num(v, "seq"));
		pl_buf_clear(&label);
		pl_buf_printf(&label, "dataset %s\nseq %lld\n%lld shard%s, %lld records",
		              str(v, "name"), num(v, "seq"), num(t, "shards"),
		              num(t, "shards") == 1 ? "" : "s", num(t, "records"));
		pl_buf_printf(b,
		              "  d%lld [shape=cylinder, style=filled, fillcolor=\"#d1e7dd\"%s, "
		              "label=",
		              num(v, "seq"), red ? ", color=red, penwidth=2" : "");
		q(b, label.ptr);
		pl_buf_puts(b, "];\n");
	}
	json_array_foreach(json_object_get(doc, "works"), i, v)
	{
		int res = json_is_true(json_object_get(v, "reserved"));
		pl_buf_clear(&label);
		pl_buf_printf(&label, "work %s\n%s\n%s\n%s", str(v, "id"), str(v, "title"),
		              str(v, "holder"), str(v, "terms"));
		pl_buf_puts(b, "  ");
		wid(b, str(v, "id"));
		pl_buf_printf(b, " [shape=note, style=filled, fillcolor=\"#fff3cd\"%s, label=",
		              res ? ", color=red, fontcolor=red, penwidth=2" : "");
		q(b, label.ptr);
		pl_buf_puts(b, "];\n");
	}
	json_array_foreach(json_object_get(doc, "attestations"), i, v)
	{
		int rev = json_is_true(json_object_get(v, "revoked"));
		long long sseq = num(v, "subject_seq");
		int is_model = 0;
		pl_buf_clear(&label);
		pl_buf_printf(&label, "%s\nseq %lld by %s%s", str(v, "kind"), num(v, "seq"),
		              str(v, "issuer_role"), rev ? "\nREVOKED" : "");
		pl_buf_printf(b, "  a%lld [shape=hexagon, style=%s, fillcolor=\"#e2e3e5\", label=",
		              num(v, "seq"), rev ? "dashed" : "filled");
		q(b, label.ptr);
		pl_buf_puts(b, "];\n");
		json_array_foreach(models, k, x) is_model |= num(x, "seq") == sseq;
		pl_buf_printf(b, "  a%lld -> %c%lld [label=\"attests\", style=dashed];\n",
		              num(v, "seq"), is_model ? 'm' : 'd', sseq);
	}
	json_array_foreach(models, i, v)
	{
		const char *name;
		json_array_foreach(json_object_get(v, "base_models"), j, x)
		{
			name = json_string_value(x);
			const json_t *bm;
			json_array_foreach(models, k, bm) if (strcmp(str(bm, "name"), name) == 0)
			    pl_buf_printf(b, "  m%lld -> m%lld [label=\"fine-tuned from\"];\n",
			                  num(v, "seq"), num(bm, "seq"));
		}
		json_array_foreach(json_object_get(v, "datasets"), j, x)
		{
			const json_t *d;
			name = json_string_value(x);
			json_array_foreach(ds, k, d) if (strcmp(str(d, "name"), name) == 0)
			    pl_buf_printf(b, "  m%lld -> d%lld [label=\"trained on\"];\n",
			                  num(v, "seq"), num(d, "seq"));
		}
	}
	json_array_foreach(ds, i, v)
	{
		json_array_foreach(json_object_get(v, "works"), j, x)
		{
			pl_buf_printf(b, "  d%lld -> ", num(v, "seq"));
			wid(b, str(x, "id"));
			pl_buf_puts(b, " [label=\"contains\"];\n");
		}
	}
	json_array_foreach(json_object_get(doc, "findings"), i, v)
	{
		pl_buf_clear(&label);
		pl_buf_printf(&label, "%s\n", str(v, "code"));
		wrap(&label, str(v, "message"), 48);
		pl_buf_printf(b,
		              "  f%zu [shape=octagon, color=red, fontcolor=red, fontsize=10, "
		              "label=",
		              i);
		q(b, label.ptr);
		pl_buf_printf(b, "];\n  f%zu -> %c%lld [color=red, style=dashed];\n", i,
		              strcmp(str(v, "subject_type"), "model") == 0 ? 'm' : 'd',
		              num(v, "seq"));
	}
	pl_buf_puts(b, "}\n");
	pl_buf_free(&label);
	json_decref(models);
	return PL_OK;
}

int pl_lineage_render(pl_buf *out, const json_t *lineage, pl_lineage_format fmt)
{
	if (!json_is_object(lineage))
		return pl_error_set(PL_EUSAGE, "pl_lineage_render: not a lineage document");
	return fmt == PL_LINEAGE_DOT ? render_dot(out, lineage) : render_text(out, lineage);
}
