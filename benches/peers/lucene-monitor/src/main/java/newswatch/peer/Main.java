package newswatch.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.TextField;
import org.apache.lucene.monitor.CustomQueryHandler;
import org.apache.lucene.monitor.MatchingQueries;
import org.apache.lucene.monitor.Monitor;
import org.apache.lucene.monitor.MonitorConfiguration;
import org.apache.lucene.monitor.MultiMatchingQueries;
import org.apache.lucene.monitor.MultipassTermFilteredPresearcher;
import org.apache.lucene.monitor.Presearcher;
import org.apache.lucene.monitor.QueryMatch;
import org.apache.lucene.monitor.TermFilteredPresearcher;
import org.apache.lucene.monitor.TermWeightor;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.search.IndexSearcher;

/**
 * The Lucene Monitor peer of newswatch (scripts/bench-peers.sh): a newswatch
 * watchlist translated to Monitor queries (see {@link Translate}), the items
 * of a JSON Lines file matched single-threaded, reusing one Monitor per
 * presearcher. Configurations: the presearchers (TermFilteredPresearcher,
 * MultipassTermFilteredPresearcher with 2 passes) by batch size (1: one
 * document at a time, Monitor.match(Document); more: Monitor.match(Document[])).
 *
 * <pre>
 * java -jar lucene-monitor-peer.jar --watchlist W.toml --items ITEMS.jsonl
 *      [--alerts FILE] [--passes 3] [--batches 1,100,1000]
 *      [--presearchers term,multipass] [--exact-case] [--no-prefix-handler] [--term-sets]
 *      [--budget-seconds 30]
 * </pre>
 *
 * Per configuration: a warm-up pass (not timed) over every item, or over as
 * many whole batches as a third of the budget allows, then up to --passes
 * timed passes over the same items while the rest of the budget lasts (one
 * at least). docs/s are items per second of process CPU time (user +
 * system, every thread: GC and JIT included) of the median timed pass;
 * wall-clock rates are given too. Items are decoded and made Documents
 * before any pass (untimed); analysis happens in Monitor.match, timed.
 *
 * --alerts FILE: first one untimed pass over every item (largest batch,
 * first presearcher), whose matches are written as one line per item: its
 * id, a tab, and the ids of the rules it matched, sorted, separated by
 * spaces; every configuration's warm-up matches are checked against it
 * (configs_agree). --exact-case: sets with case_sensitive = true match a
 * second, case-kept field (else they are folded like every other set).
 * --term-sets: the one-token terms of a set as one TermInSetQuery.
 * --no-prefix-handler: prefix terms are "any term" to the presearcher.
 *
 * Prints one JSON object: the best configuration's docs/s, every
 * configuration's, the Monitor build time, rules translated and skipped
 * (with the reason), and peak RSS (VmHWM at the end).
 */
public final class Main {
    private static final String[] FIELDS = {"title", "summary", "body"};
    /** The presearchers' default weights, but for {@link Analysis#START}, in
     * every document: a presearcher that picked it from a FIRST/n query's
     * conjunction would run that query on every document. */
    private static final TermWeightor WEIGHTOR = TermWeightor.combine(TermFilteredPresearcher.DEFAULT_WEIGHTOR,
            TermWeightor.termWeightor(0.001, new BytesRef(Analysis.START)));

    private record Item(String id, Document doc) {}

    private record Pass(int docs, double cpuSeconds, double wallSeconds, long queriesRun, int errors) {}

    public static void main(String[] args) throws Exception {
        Path watchlist = null;
        Path items = null;
        Path alerts = null;
        int passes = 3;
        int[] batches = {1, 100, 1000};
        List<String> presearchers = List.of("term", "multipass");
        boolean exactCase = false;
        boolean prefixHandler = true;
        boolean termSets = false;
        double budget = 30;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--watchlist" -> watchlist = Path.of(args[++i]);
                case "--items" -> items = Path.of(args[++i]);
                case "--alerts" -> alerts = Path.of(args[++i]);
                case "--passes" -> passes = Integer.parseInt(args[++i]);
                case "--batches" -> batches = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--presearchers" -> presearchers = List.of(args[++i].split(","));
                case "--exact-case" -> exactCase = true;
                case "--no-prefix-handler" -> prefixHandler = false;
                case "--term-sets" -> termSets = true;
                case "--budget-seconds" -> budget = Double.parseDouble(args[++i]);
                default -> {
                    System.err.println("unknown argument " + a);
                    System.exit(2);
                }
            }
        }
        if (watchlist == null || items == null) {
            System.err.println("usage: --watchlist W.toml --items ITEMS.jsonl [--alerts FILE] [--passes N] "
                    + "[--batches 1,100,1000] [--presearchers term,multipass] [--exact-case] [--no-prefix-handler] [--term-sets] "
                    + "[--budget-seconds S]");
            System.exit(2);
        }
        // Sets of 6,000 terms (the 100k-term watchlist) are one BooleanQuery each.
        IndexSearcher.setMaxClauseCount(Integer.MAX_VALUE);
        // Every document is searched once: caching its clauses (and hashing
        // every query to track its use, the default policy) only costs.
        IndexSearcher.setDefaultQueryCache(null);

        ObjectMapper json = new ObjectMapper();
        ObjectNode out = json.createObjectNode();
        out.put("peer", "lucene-monitor");
        out.put("lucene", org.apache.lucene.util.Version.LATEST.toString());
        out.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        out.put("processors", Runtime.getRuntime().availableProcessors());
        out.put("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20);
        out.put("gc", ManagementFactory.getGarbageCollectorMXBeans().get(0).getName());

        // The position gap between fields must exceed every NEAR distance.
        Translate.Prescan pre = Translate.prescan(watchlist);
        int gap = Math.max(1000, pre.maxNear() + 1);
        Analysis analysis = new Analysis(gap, pre.first());

        long t0 = System.nanoTime();
        Translate.Result tr = Translate.load(watchlist, analysis, exactCase, termSets);
        double translateSeconds = (System.nanoTime() - t0) / 1e9;
        out.put("watchlist", watchlist.toString());
        out.put("terms", tr.terms());
        out.put("terms_without_tokens", tr.termsDropped());
        out.put("rules_translated", tr.queries().size());
        out.put("rules_skipped", tr.skipped().size());
        ArrayNode sk = out.putArray("skipped");
        for (Translate.Skipped s : tr.skipped()) sk.addObject().put("rule", s.rule()).put("reason", s.reason());
        out.put("case_sensitive_sets", tr.caseField() ? "exact (a second, case-kept field)" : "folded like the rest");
        out.put("translate_s", round(translateSeconds, 3));
        out.put("prefix_handler", prefixHandler);
        out.put("term_sets", termSets);

        boolean caseField = tr.caseField();
        if (tr.fieldStarts()) analysis.markFieldStarts();
        out.put("field_start_token", tr.fieldStarts());
        List<Item> list = readItems(items, json, caseField);
        Document[] docs = list.stream().map(Item::doc).toArray(Document[]::new);
        out.put("items", docs.length);
        out.put("bytes", Files.size(items));

        ArrayNode configs = out.putArray("configs");
        String bestName = null;
        double bestRate = 0;
        boolean agree = true;
        List<String>[] alertMatches = null;
        for (String p : presearchers) {
            List<CustomQueryHandler> handlers = prefixHandler ? List.of(new PrefixHandler()) : List.of();
            Presearcher presearcher = switch (p) {
                case "term" -> new TermFilteredPresearcher(WEIGHTOR, handlers, Set.of());
                case "multipass" -> new MultipassTermFilteredPresearcher(2, 0, WEIGHTOR, handlers, Set.of());
                default -> throw new IllegalArgumentException("presearcher: term or multipass, not " + p);
            };
            MonitorConfiguration conf = new MonitorConfiguration().setPurgeFrequency(1, TimeUnit.DAYS);
            long b0 = System.nanoTime();
            double c0 = cpuSeconds();
            Monitor monitor = new Monitor(analysis, presearcher, conf);
            monitor.register(tr.queries());
            double buildWall = (System.nanoTime() - b0) / 1e9;
            double buildCpu = cpuSeconds() - c0;
            if (alerts != null && alertMatches == null) {
                // Every item once, with the largest batch (untimed; it also
                // warms the JIT up): the matches written to --alerts.
                @SuppressWarnings("unchecked")
                List<String>[] all = new List[docs.length];
                double a0 = cpuSeconds();
                pass(monitor, docs, docs.length, Arrays.stream(batches).max().orElse(1), all, Double.MAX_VALUE);
                out.put("alerts_pass_cpu_s", round(cpuSeconds() - a0, 2));
                alertMatches = all;
            }
            for (int batch : batches) {
                String name = p + "/" + (batch == 1 ? "one doc" : "batch " + batch);
                // Warm-up, not timed: all items, or as many whole batches as
                // a third of the budget allows; the timed passes then run
                // over the same items, as many as fit in the budget (one at
                // least, `passes` at most).
                @SuppressWarnings("unchecked")
                List<String>[] matches = new List[docs.length];
                Pass warm = pass(monitor, docs, docs.length, batch, matches, budget / 3);
                int n = warm.docs();
                // Each configuration's items against the --alerts pass, or
                // against the first configuration's where both reached.
                if (alertMatches == null) alertMatches = matches;
                for (int i = 0; i < n; i++) {
                    if (alertMatches[i] != null && !alertMatches[i].equals(matches[i])) agree = false;
                }
                List<Pass> runs = new ArrayList<>();
                double spent = 0;
                while (runs.size() < passes && (runs.isEmpty() || spent < budget * 2 / 3)) {
                    Pass r = pass(monitor, docs, n, batch, null, Double.MAX_VALUE);
                    runs.add(r);
                    spent += r.wallSeconds();
                }
                double[] rates = runs.stream().mapToDouble(r -> n / r.cpuSeconds()).sorted().toArray();
                double[] wall = runs.stream().mapToDouble(r -> n / r.wallSeconds()).sorted().toArray();
                double median = rates[rates.length / 2];
                ObjectNode c = configs.addObject();
                c.put("config", name);
                c.put("presearcher", presearcher.getClass().getSimpleName());
                c.put("batch", batch);
                c.put("docs_per_s", Math.round(median));
                c.put("docs_per_s_min", Math.round(rates[0]));
                c.put("docs_per_s_max", Math.round(rates[rates.length - 1]));
                c.put("docs_per_wall_s", Math.round(wall[wall.length / 2]));
                c.put("timed_items", n);
                c.put("timed_passes", runs.size());
                c.put("warmup_docs_per_s", Math.round(n / warm.cpuSeconds()));
                c.put("queries_run_per_doc", round((double) warm.queriesRun() / n, 2));
                c.put("errors", warm.errors());
                c.put("build_s", round(buildWall, 3));
                c.put("build_cpu_s", round(buildCpu, 3));
                if (median > bestRate) {
                    bestRate = median;
                    bestName = name;
                }
            }
            out.put("queries_indexed_" + p, monitor.getDisjunctCount());
            monitor.close();
            System.gc();
        }
        out.put("best_config", bestName);
        out.put("docs_per_s", Math.round(bestRate));
        out.put("configs_agree", agree);
        out.put("peak_rss_kb", vmhwm());
        if (alerts != null && alertMatches != null) {
            try (BufferedWriter w = Files.newBufferedWriter(alerts, StandardCharsets.UTF_8)) {
                for (int i = 0; i < docs.length; i++) {
                    w.write(list.get(i).id());
                    w.write('\t');
                    w.write(String.join(" ", alertMatches[i]));
                    w.write('\n');
                }
            }
        }
        System.out.println(json.writeValueAsString(out));
    }

    private static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    private static List<Item> readItems(Path path, ObjectMapper json, boolean caseField) throws IOException {
        List<Item> items = new ArrayList<>();
        int line = 0;
        for (String l : Files.readAllLines(path, StandardCharsets.UTF_8)) {
            line++;
            if (l.isBlank()) continue;
            JsonNode node = json.readTree(l);
            Document doc = new Document();
            for (String f : FIELDS) {
                JsonNode v = node.get(f);
                if (v == null || !v.isTextual()) continue;
                doc.add(new TextField(Analysis.FIELD, v.asText(), Field.Store.NO));
                if (caseField) doc.add(new TextField(Analysis.FIELD_CASE, v.asText(), Field.Store.NO));
            }
            JsonNode id = node.get("id");
            String ids = id == null || id.isNull() ? "line:" + line : id.isTextual() ? id.asText() : id.toString();
            items.add(new Item(ids, doc));
        }
        return items;
    }

    /** One pass over the first `limit` documents, in batches of `batch`
     * (one at a time when 1), stopping after the batch that passes
     * `maxSeconds`; the matched rule ids of each go to `matches` when it is
     * not null. */
    private static Pass pass(Monitor monitor, Document[] docs, int limit, int batch, List<String>[] matches,
            double maxSeconds) throws IOException {
        long queries = 0;
        int errors = 0;
        int done = 0;
        double c0 = cpuSeconds();
        long w0 = System.nanoTime();
        long stop = maxSeconds >= 1e9 ? Long.MAX_VALUE : w0 + (long) (maxSeconds * 1e9);
        if (batch <= 1) {
            for (int i = 0; i < limit && (i == 0 || System.nanoTime() < stop); i++) {
                MatchingQueries<QueryMatch> m = monitor.match(docs[i], QueryMatch.SIMPLE_MATCHER);
                queries += m.getQueriesRun();
                errors += m.getErrors().size();
                if (matches != null) matches[i] = ids(m.getMatches());
                done++;
            }
        } else {
            for (int start = 0; start < limit && (start == 0 || System.nanoTime() < stop); start += batch) {
                Document[] slice = Arrays.copyOfRange(docs, start, Math.min(limit, start + batch));
                MultiMatchingQueries<QueryMatch> m = monitor.match(slice, QueryMatch.SIMPLE_MATCHER);
                queries += (long) m.getQueriesRun() * slice.length;
                errors += m.getErrors().size();
                if (matches != null) {
                    for (int j = 0; j < slice.length; j++) matches[start + j] = ids(m.getMatches(j));
                }
                done += slice.length;
            }
        }
        double wall = (System.nanoTime() - w0) / 1e9;
        return new Pass(done, cpuSeconds() - c0, wall, queries, errors);
    }

    private static List<String> ids(Collection<QueryMatch> ms) {
        List<String> out = new ArrayList<>(ms.size());
        for (QueryMatch q : ms) out.add(q.getQueryId());
        out.sort(null);
        return out;
    }

    /** CPU seconds (user + system) of the whole process, every thread. */
    private static double cpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime() / 1e9;
    }

    private static long vmhwm() throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmHWM:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
        }
        return -1;
    }
}
