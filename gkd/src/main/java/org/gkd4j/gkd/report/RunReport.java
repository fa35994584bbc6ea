package org.gkd4j.gkd.report;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.gkd4j.gkd.train.AtomicFiles;

/** Writes report.md and its plot at the end of a run, from the lines of metrics.jsonl. */
public final class RunReport {

    /** The evaluation metrics, in the order of the report's table and the plot's legend. */
    public static final List<String> EVAL_KEYS = List.of("eval_fkl_on_policy", "eval_rkl_on_policy",
            "eval_fkl_off_policy", "eval_rkl_off_policy", "eval_student_nll");

    public static final String PLOT_FILE = "loss.png";

    /** One side-by-side sample: a held-out prompt with the student's and the teacher's completions. */
    public record Sample(String prompt, String student, String teacher) {
    }

    private RunReport() {
    }

    /**
     * Writes {@code report.md} and {@code loss.png} into {@code outputDir}.
     *
     * @param title    first heading, for example "gkd4j distill"
     * @param settings a few key settings shown as a list
     * @param metrics  every line of metrics.jsonl
     * @param samples  completions from the last evaluation
     * @param seconds  wall time of the run in this process
     */
    public static void write(Path outputDir, String title, Map<String, String> settings, List<ObjectNode> metrics,
                             List<Sample> samples, double seconds) throws IOException {
        // split the log into step lines and evaluation lines
        List<Integer> steps = new ArrayList<>();
        List<Double> losses = new ArrayList<>();
        List<ObjectNode> evals = new ArrayList<>();
        for (ObjectNode line : metrics) {
            if (line.has("loss")) {
                steps.add(line.get("step").asInt());
                losses.add(line.get("loss").asDouble());
            }
            if (line.has("eval_student_nll")) {
                evals.add(line);
            }
        }
        List<Integer> evalSteps = new ArrayList<>();
        Map<String, List<Double>> evalSeries = new LinkedHashMap<>();
        for (String key : EVAL_KEYS) {
            evalSeries.put(key, new ArrayList<>());
        }
        for (ObjectNode eval : evals) {
            evalSteps.add(eval.get("step").asInt());
            for (String key : EVAL_KEYS) {
                evalSeries.get(key).add(eval.hasNonNull(key) ? eval.get(key).asDouble() : Double.NaN);
            }
        }
        LossPlot.write(outputDir.resolve(PLOT_FILE), steps, losses, evalSteps, evalSeries);

        // the Markdown page
        StringBuilder md = new StringBuilder();
        md.append("# ").append(title).append("\n\n");
        for (Map.Entry<String, String> setting : settings.entrySet()) {
            md.append("- ").append(setting.getKey()).append(": ").append(setting.getValue()).append('\n');
        }
        md.append(String.format(Locale.ROOT, "- steps run: %d, wall time in this process: %.1f s%n",
                steps.isEmpty() ? 0 : steps.getLast(), seconds));
        if (!losses.isEmpty()) {
            md.append(String.format(Locale.ROOT, "- loss: first step %.4f, last step %.4f%n",
                    losses.getFirst(), losses.getLast()));
        }
        md.append("\n![training loss and held-out evaluation](").append(PLOT_FILE).append(")\n\n");
        if (!evals.isEmpty()) {
            md.append("## Held-out evaluation (nats per token)\n\n| step |");
            for (String key : EVAL_KEYS) {
                md.append(' ').append(key.substring("eval_".length())).append(" |");
            }
            md.append("\n|---|").append("---|".repeat(EVAL_KEYS.size())).append('\n');
            for (ObjectNode eval : evals) {
                md.append("| ").append(eval.get("step").asInt()).append(" |");
                for (String key : EVAL_KEYS) {
                    md.append(' ').append(eval.hasNonNull(key)
                            ? String.format(Locale.ROOT, "%.4f", eval.get(key).asDouble()) : "n/a").append(" |");
                }
                md.append('\n');
            }
            ObjectNode first = evals.getFirst();
            ObjectNode last = evals.getLast();
            if (first.hasNonNull("eval_rkl_on_policy") && last.hasNonNull("eval_rkl_on_policy")) {
                double before = first.get("eval_rkl_on_policy").asDouble();
                double after = last.get("eval_rkl_on_policy").asDouble();
                md.append(String.format(Locale.ROOT,
                        "%nReverse KL on the student's own samples: %.4f at step %d, %.4f at step %d (%.1f%% of the start).%n",
                        before, first.get("step").asInt(), after, last.get("step").asInt(), 100 * after / before));
            }
        }
        if (!samples.isEmpty()) {
            md.append("\n## Completions of held-out prompts (last evaluation)\n");
            for (Sample sample : samples) {
                md.append("\n**Prompt:** ").append(oneLine(sample.prompt())).append("\n\n");
                md.append("- student: ").append(oneLine(sample.student())).append('\n');
                md.append("- teacher: ").append(oneLine(sample.teacher())).append('\n');
            }
        }
        AtomicFiles.writeString(outputDir.resolve("report.md"), md.toString());
    }

    private static String oneLine(String text) {
        return text == null ? "n/a" : text.replaceAll("\\s+", " ").strip();
    }
}
