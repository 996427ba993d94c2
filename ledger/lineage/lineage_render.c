/* lineage_render.c - a lineage document as human text or a Graphviz digraph.
 *
 * Every string taken from the document (names, titles, holders, paths,
 * messages: what entries say) is shown escaped (pl_buf_put_escaped), so that
 * no value can start a line of its own or reorder the text; in DOT, q() then
 * quotes what the label holds. */
#include <string.h>

#include "lineage_internal.h"

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* Escaped copies of values for one render, used in turn, so that one printf
 * can take up to RING of them. */
#define RING 8
typedef struct {
	pl_buf slot[RING];
	size_t next;
} ring;

static const char *esc(ring *r, const char *s)
{
	pl_buf *b = &r->slot[r->next];
	r->next = (r->next + 1) % RING;
	pl_buf_clear(b);
	if (pl_buf_put_escaped(b, s, s ? strlen(s) : 0) < 0)
		return "?";
	return b->ptr;
}

/* A string field of o, escaped. */
static const char *txt(ring *r, const json_t *o, const char *k)
{
	return esc(r, str(o, k));
}

static void ring_free(ring *r)
{
	for (size_t i = 0; i < RING; i++)
		pl_buf_free(&r->slot[i]);
}

static long long num(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void join(ring *r, pl_buf *b, const json_t *arr)
{
	json_t *v;
	size_t i;
	if (!json_array_size(arr)) {
		pl_buf_puts(b, "-");
		return;
	}
	json_array_foreach(arr, i, v)
	    pl_buf_printf(b, "%s%s", i ? ", " : "", esc(r, json_string_value(v)));
}

/* A key object {"keyid", "name"}: "NAME (KEYID)", or "KEYID" when the name
 * is unknown. */
static void text_key(ring *r, pl_buf *b, const json_t *k)
{
	const char *name = json_string_value(json_object_get(k, "name"));
	if (name)
		pl_buf_printf(b, "%s (%s)", esc(r, name), txt(r, k, "keyid"));
	else
		pl_buf_puts(b, txt(r, k, "keyid"));
}

static void text_model(ring *r, pl_buf *b, const json_t *m, const char *what)
{
	const json_t *hw = json_object_get(m, "hardware");
	json_t *w;
	size_t i;
	pl_buf_printf(b, "%s %s (seq %lld)%s\n", what, txt(r, m, "name"), num(m, "seq"),
	              json_is_true(json_object_get(m, "frontier")) ? " [frontier]" : "");
	pl_buf_puts(b, "  lab ");
	text_key(r, b, json_object_get(m, "lab"));
	pl_buf_printf(b, ", created %s\n", txt(r, m, "created"));
	pl_buf_printf(b, "  training_flop %s, parameters %s", txt(r, m, "training_flop"),
	              txt(r, m, "parameters"));
	if (hw)
		pl_buf_printf(b, ", hardware %s x %lld", txt(r, hw, "accelerator"),
		              num(hw, "count"));
	pl_buf_puts(b, "\n");
	if (json_object_get(m, "started") || json_object_get(m, "finished"))
		pl_buf_printf(b, "  trained %s .. %s\n", txt(r, m, "started"),
		              txt(r, m, "finished"));
	json_array_foreach(json_object_get(m, "weights"), i, w)
	    pl_buf_printf(b, "  weights %s sha256 %s\n", txt(r, w, "name"), txt(r, w, "sha256"));
	if (json_array_size(json_object_get(m, "base_models"))) {
		const char *rel = str(m, "base_relation");
		pl_buf_printf(b, "  %s: ",
		              !*rel || strcmp(rel, "finetune") == 0 ? "fine-tuned from"
		              : strcmp(rel, "adapter") == 0         ? "an adapter on"
		              : strcmp(rel, "quantized") == 0       ? "quantized from"
		              : strcmp(rel, "merge") == 0           ? "merged from"
		                                                    : "distilled from");
	} else {
		pl_buf_puts(b, "  base models: ");
	}
	join(r, b, json_object_get(m, "base_models"));
	pl_buf_puts(b, "\n  trained on: ");
	join(r, b, json_object_get(m, "datasets"));
	pl_buf_puts(b, "\n");
}

/* "by ROLE NAME (KEYID)", or "by ROLE KEYID" when the key's name is unknown. */
static void text_issuer(ring *r, pl_buf *b, const json_t *a)
{
	pl_buf_printf(b, " by %s ", txt(r, a, "issuer_role"));
	text_key(r, b, json_object_get(a, "signer"));
}

static int render_text(ring *r, pl_buf *b, const json_t *doc)
{
	json_t *v, *s;
	size_t i, j;
	text_model(r, b, json_object_get(doc, "model"), "model");
	json_array_foreach(json_object_get(doc, "base_models"), i, v)
	    text_model(r, b, v, "base model");
	json_array_foreach(json_object_get(doc, "datasets"), i, v)
	{
		const json_t *t = json_object_get(v, "totals");
		pl_buf_printf(b,
		              "dataset %s (seq %lld): %lld shard%s, %lld record%s, %lld tokens\n",
		              txt(r, v, "name"), num(v, "seq"), num(t, "shards"),
		              num(t, "shards") == 1 ? "" : "s", num(t, "records"),
		              num(t, "records") == 1 ? "" : "s", num(t, "tokens"));
		json_array_foreach(json_object_get(v, "shards"), j, s)
		    pl_buf_printf(b, "  shard %s sha256 %s, %lld record%s, %lld tokens\n",
		                  txt(r, s, "path"), txt(r, s, "sha256"), num(s, "records"),
		                  num(s, "records") == 1 ? "" : "s", num(s, "tokens"));
		json_array_foreach(json_object_get(v, "checks"), j, s) pl_buf_printf(
		    b, "  check seq %lld (%s): %lld record%s, %lld match%s\n", num(s, "seq"),
		    txt(r, s, "created"), num(s, "records"), num(s, "records") == 1 ? "" : "s",
		    num(s, "matches"), num(s, "matches") == 1 ? "" : "es");
	}
	json_array_foreach(json_object_get(doc, "works"), i, v)
	{
		pl_buf_printf(b, "work %s \"%s\" holder %s, terms %s%s; in ", txt(r, v, "work"),
		              txt(r, v, "title"), txt(r, v, "holder"), txt(r, v, "terms"),
		              json_is_true(json_object_get(v, "registered")) ? ""
		                                                             : " (not registered)");
		join(r, b, json_object_get(v, "datasets"));
		pl_buf_puts(b, "\n");
	}
	pl_buf_puts(b, "attestations:");
	if (!json_array_size(json_object_get(doc, "attestations")))
		pl_buf_puts(b, " none");
	pl_buf_puts(b, "\n");
	json_array_foreach(json_object_get(doc, "attestations"), i, v)
	{
		pl_buf_printf(b, "  seq %lld %s on %s", num(v, "seq"), txt(r, v, "kind"),
		              txt(r, json_object_get(v, "subject"), "name"));
		text_issuer(r, b, v);
		if (json_is_true(json_object_get(v, "revoked")))
			pl_buf_printf(b, " [verified, REVOKED at seq %lld]",
			              num(json_object_get(v, "revoked_by"), "seq"));
		pl_buf_puts(b, "\n");
	}
	pl_buf_puts(b, "findings:");
	if (!json_array_size(json_object_get(doc, "findings")))
		pl_buf_puts(b, " none");
	pl_buf_puts(b, "\n");
	json_array_foreach(json_object_get(doc, "findings"), i, v) pl_buf_printf(
	    b, "  %s %s: %s\n", txt(r, v, "severity"), txt(r, v, "code"), txt(r, v, "message"));
	return PL_OK;
}

/* A DOT string literal (quoted, escaped): '"' and '\\' escaped, a newline
 * (the renderer's own: values come escaped) as DOT's \\n line break. */
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

static void dot_model(ring *r, pl_buf *b, const json_t *doc, const json_t *m)
{
	pl_buf label = PL_BUF_INIT;
	int red = flagged(doc, "model", num(m, "seq"));
	pl_buf_printf(&label, "model %s\nseq %lld%s\nflop %s, params %s", txt(r, m, "name"),
	              num(m, "seq"),
	              json_is_true(json_object_get(m, "frontier")) ? ", frontier" : "",
	              txt(r, m, "training_flop"), txt(r, m, "parameters"));
	pl_buf_printf(b,
	              "  m%lld [shape=box, style=\"rounded,filled\", fillcolor=\"#cfe2ff\"%s, "
	              "label=",
	              num(m, "seq"), red ? ", color=red, penwidth=2" : "");
	q(b, label.ptr);
	pl_buf_puts(b, "];\n");
	pl_buf_free(&label);
}

static int render_dot(ring *r, pl_buf *b, const json_t *doc)
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
	pl_buf_printf(&label, "lineage of %s", txt(r, root, "name"));
	q(b, label.ptr);
	pl_buf_puts(b, ";\n  labelloc=t;\n");
	json_array_foreach(models, i, v) dot_model(r, b, doc, v);
	json_array_foreach(ds, i, v)
	{
		const json_t *t = json_object_get(v, "totals");
		int red = flagged(doc, "dataset", num(v, "seq"));
		pl_buf_clear(&label);
		pl_buf_printf(&label, "dataset %s\nseq %lld\n%lld shard%s, %lld records",
		              txt(r, v, "name"), num(v, "seq"), num(t, "shards"),
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
		pl_buf_printf(&label, "work %s\n%s\n%s\n%s", txt(r, v, "work"), txt(r, v, "title"),
		              txt(r, v, "holder"), txt(r, v, "terms"));
		pl_buf_puts(b, "  ");
		wid(b, txt(r, v, "work"));
		pl_buf_printf(b, " [shape=note, style=filled, fillcolor=\"#fff3cd\"%s, label=",
		              res ? ", color=red, fontcolor=red, penwidth=2" : "");
		q(b, label.ptr);
		pl_buf_puts(b, "];\n");
	}
	json_array_foreach(json_object_get(doc, "attestations"), i, v)
	{
		int rev = json_is_true(json_object_get(v, "revoked"));
		long long sseq = num(json_object_get(v, "subject"), "seq");
		const json_t *signer = json_object_get(v, "signer");
		int is_model = 0;
		pl_buf_clear(&label);
		pl_buf_printf(&label, "%s\nseq %lld by %s%s%s%s", txt(r, v, "kind"), num(v, "seq"),
		              txt(r, v, "issuer_role"),
		              json_is_string(json_object_get(signer, "name")) ? "\n" : "",
		              txt(r, signer, "name"), rev ? "\nREVOKED" : "");
		/* an evaluation that failed (a dangerous capability, a failed test) in red */
		int failed = 0;
		if (strcmp(str(v, "kind"), "evaluation") == 0) {
			const char *key;
			json_t *res;
			failed = json_array_size(json_object_get(v, "dangerous_capabilities")) > 0;
			json_object_foreach(json_object_get(v, "results"), key, res) failed |=
			    json_is_string(res) && strcmp(json_string_value(res), "fail") == 0;
		}
		pl_buf_printf(b, "  a%lld [shape=hexagon, style=%s, fillcolor=\"%s\"%s, label=",
		              num(v, "seq"), rev ? "dashed" : "filled",
		              failed ? "#f8d7da" : "#e2e3e5", failed ? ", color=red" : "");
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
			    pl_buf_printf(b, "  m%lld -> m%lld [label=\"%s\"];\n", num(v, "seq"),
			                  num(bm, "seq"),
			                  *str(v, "base_relation") ? str(v, "base_relation")
			                                           : "finetune");
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
			wid(b, txt(r, x, "work"));
			pl_buf_puts(b, " [label=\"contains\"];\n");
		}
	}
	/* the findings as one list node, an edge to each subject they name */
	if (json_array_size(json_object_get(doc, "findings"))) {
		json_t *done = json_object();
		pl_buf_clear(&label);
		pl_buf_printf(&label, "findings (%zu)\n",
		              json_array_size(json_object_get(doc, "findings")));
		json_array_foreach(json_object_get(doc, "findings"), i, v)
		{
			pl_buf_printf(&label, "%s %s: %s\n", txt(r, v, "severity"),
			              txt(r, v, "code"), txt(r, v, "subject"));
		}
		pl_buf_puts(b, "  findings [shape=box, color=red, fontcolor=red, fontsize=10, "
		               "style=\"rounded,dashed\", label=");
		q(b, label.ptr);
		pl_buf_puts(b, "];\n");
		json_array_foreach(json_object_get(doc, "findings"), i, v)
		{
			char key[40];
			char t = strcmp(str(v, "subject_type"), "model") == 0 ? 'm' : 'd';
			snprintf(key, sizeof(key), "%c%lld", t, num(v, "seq"));
			if (json_object_get(done, key))
				continue;
			json_object_set_new(done, key, json_true());
			pl_buf_printf(b, "  findings -> %s [color=red, style=dashed];\n", key);
		}
		json_decref(done);
	}
	/* a legend of the shapes and colours */
	pl_buf_puts(
	    b,
	    "  subgraph cluster_legend {\n    label=\"legend\"; fontsize=10; color=\"#adb5bd\";\n"
	    "    legend_m [shape=box, style=\"rounded,filled\", fillcolor=\"#cfe2ff\", "
	    "fontsize=9, label=\"model\"];\n"
	    "    legend_d [shape=cylinder, style=filled, fillcolor=\"#d1e7dd\", fontsize=9, "
	    "label=\"dataset\"];\n"
	    "    legend_w [shape=note, style=filled, fillcolor=\"#fff3cd\", fontsize=9, "
	    "label=\"work\"];\n"
	    "    legend_a [shape=hexagon, style=filled, fillcolor=\"#e2e3e5\", fontsize=9, "
	    "label=\"attestation\"];\n"
	    "    legend_e [shape=hexagon, style=filled, fillcolor=\"#f8d7da\", color=red, "
	    "fontsize=9, label=\"failed evaluation\"];\n"
	    "    legend_r [shape=box, color=red, fontcolor=red, fontsize=9, "
	    "label=\"red: a finding\\nor a reserved work\"];\n"
	    "    legend_m -> legend_d [style=invis]; legend_d -> legend_w [style=invis];\n"
	    "    legend_a -> legend_e [style=invis]; legend_e -> legend_r [style=invis];\n"
	    "  }\n");
	pl_buf_puts(b, "}\n");
	pl_buf_free(&label);
	json_decref(models);
	return PL_OK;
}

int pl_lineage_render(pl_buf *out, const json_t *lineage, pl_lineage_format fmt)
{
	ring r;
	int error;
	if (!json_is_object(lineage))
		return pl_error_set(PL_EUSAGE, "pl_lineage_render: not a lineage document");
	memset(&r, 0, sizeof(r));
	error =
	    fmt == PL_LINEAGE_DOT ? render_dot(&r, out, lineage) : render_text(&r, out, lineage);
	ring_free(&r);
	return error;
}
