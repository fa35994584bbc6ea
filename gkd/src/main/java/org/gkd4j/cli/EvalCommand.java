package org.gkd4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.gkd4j.model.SequenceScorer;
import org.gkd4j.gkd.data.Utf8Text;
import org.gkd4j.model.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code gkd4j eval}: mean negative log-likelihood per token and perplexity of a model on text.
 *
 * <p>Each document is scored alone from BOS: every line of a plain text file, or the {@code text} field of every
 * line of a .jsonl file. Every token after BOS counts, EOS excluded. Texts longer than the context length are scored
 * in windows of the context length that overlap by one token, each from a fresh KV cache (see
 * {@link SequenceScorer}). Perplexity = exp(mean NLL) over all tokens of all documents.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Reports the negative log-likelihood and perplexity of a model on text.")
public final class EvalCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    ModelOptions modelOptions = new ModelOptions();

    @Option(names = "--data", paramLabel = "FILE", required = true,
            description = "Plain text with one document per non-blank line, or JSONL (a name ending in .jsonl) with a \"text\" string per line.")
    Path data;

    @Option(names = "--format", paramLabel = "text|jsonl",
            description = "text: one summary line; jsonl: one line per document with token_ids and logprobs, then a summary line (default text).")
    String format = "text";

    @Override
    public Integer call() {
        try {
            return run(System.out);
        } catch (ModelOptions.CliException | IllegalArgumentException e) {
            System.err.println("gkd4j eval: " + e.getMessage());
            return Main.EXIT_USAGE;
        }
    }

    private int run(PrintStream out) {
        if (!format.equals("text") && !format.equals("jsonl")) {
            throw new ModelOptions.CliException("--format is '" + format + "' but must be text or jsonl");
        }
        List<String> documents = readDocuments(data);
        ModelOptions.Loaded loaded = modelOptions.load();
        Tokenizer tokenizer = loaded.tokenizer();

        double totalNll = 0;
        long totalTokens = 0;
        try (SequenceScorer scorer = new SequenceScorer(loaded.transformer(), loaded.weights().quantizedTensors(),
                modelOptions.threads)) {
            for (int d = 0; d < documents.size(); d++) {
                int[] ids = tokenizer.encode(documents.get(d), true, false);
                float[] logprobs = scorer.logprobs(ids);
                double nll = 0;
                for (float logprob : logprobs) {
                    nll -= logprob;
                }
                totalNll += nll;
                totalTokens += logprobs.length;
                if (format.equals("jsonl")) {
                    out.println(documentLine(d + 1, ids, logprobs, nll));
                }
            }
        }

        double meanNll = totalTokens == 0 ? Double.NaN : totalNll / totalTokens;
        if (format.equals("jsonl")) {
            ObjectNode summary = JSON.createObjectNode();
            summary.put("documents", documents.size());
            summary.put("tokens", totalTokens);
            summary.put("mean_nll", meanNll);
            summary.put("perplexity", Math.exp(meanNll));
            out.println(summary);
        } else {
            out.printf(Locale.ROOT, "documents %d, tokens %d, mean NLL %.4f nats/token, perplexity %.4f%n",
                    documents.size(), totalTokens, meanNll, Math.exp(meanNll));
        }
        out.flush();
        return 0;
    }

    private static String documentLine(int number, int[] ids, float[] logprobs, double nll) {
        ObjectNode line = JSON.createObjectNode();
        line.put("document", number);
        ArrayNode tokenIds = line.putArray("token_ids");
        for (int id : ids) {
            tokenIds.add(id);
        }
        ArrayNode values = line.putArray("logprobs");
        for (float logprob : logprobs) {
            values.add(logprob);
        }
        line.put("tokens", logprobs.length);
        line.put("mean_nll", logprobs.length == 0 ? Double.NaN : nll / logprobs.length);
        return line.toString();
    }

    /** Reads the documents: JSONL when the file name ends in .jsonl, else one per non-blank line. */
    private static List<String> readDocuments(Path file) {
        List<String> lines;
        if (!Files.exists(file)) {
            throw new ModelOptions.CliException("--data " + file + " not found; pass an existing text or JSONL file");
        }
        try {
            lines = Utf8Text.read(file, "--data " + file).lines().toList();
        } catch (IOException e) {
            throw new ModelOptions.CliException("cannot read --data " + file + ": " + e.getMessage());
        }
        boolean jsonl = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jsonl");
        List<String> documents = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            documents.add(jsonl ? GenerateCommand.JsonlField.string(file, i + 1, lines.get(i), "text") : lines.get(i));
        }
        if (documents.isEmpty()) {
            throw new ModelOptions.CliException("--data " + file + " has no text to score");
        }
        return documents;
    }
}
