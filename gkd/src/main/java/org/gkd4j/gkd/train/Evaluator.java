package org.gkd4j.gkd.train;

import java.util.ArrayList;
import java.util.List;
import org.gkd4j.gkd.data.Example;
import org.gkd4j.gkd.report.RunReport;
import org.gkd4j.model.Transformer;
import org.gkd4j.tensor.autograd.Tape;

/**
 * The held-out evaluation. It measures forward and reverse KL between teacher and student, per token, on the
 * student's own samples (on-policy) and on the data's completions (off-policy). It also reports the student's NLL
 * of the data completions and a few completions of student and teacher side by side. It draws from its own fixed seed, never from the training
 * stream, so evaluating does not change what the training run samples.
 */
public final class Evaluator {

    /** One evaluation; NaN marks a metric without data (no teacher, or no held-out completions). */
    public record Result(double fklOnPolicy, double rklOnPolicy, double fklOffPolicy, double rklOffPolicy,
                         double studentNll, List<RunReport.Sample> samples) {

        public double studentPerplexity() {
            return Math.exp(studentNll);
        }
    }

    private final TrainingSetup setup;
    private final TokenizedExamples tokens;
    private final Sampling studentSampling;
    private final Sampling teacherSampling;
    private final long seed;

    public Evaluator(TrainingSetup setup, TokenizedExamples tokens, Sampling studentSampling, Sampling teacherSampling) {
        this.setup = setup;
        this.tokens = tokens;
        this.studentSampling = studentSampling;
        this.teacherSampling = teacherSampling;
        this.seed = setup.config().seed() ^ 0x5DEECE66DL;
    }

    public Result evaluate() {
        TrainConfig config = setup.config();
        List<Example> heldOut = setup.data().heldOut();
        double[] on = new double[3];
        double[] off = new double[3];
        int onPositions = 0;
        int offPositions = 0;
        List<RunReport.Sample> samples = new ArrayList<>();

        for (int first = 0; first < heldOut.size(); first += config.batchSize()) {
            List<Example> examples = heldOut.subList(first, Math.min(heldOut.size(), first + config.batchSize()));
            List<int[]> prompts = tokens.prompts(examples);

            // on-policy: the student's own samples
            List<int[]> studentCompletions = studentSampling.sample(prompts, seed + first);
            TokenDivergences.Sums onSums = sums(new SequenceBatch(prompts, studentCompletions));
            on[0] += onSums.forwardKl();
            on[1] += onSums.reverseKl();
            onPositions += onSums.positions();

            // off-policy: the data's completions, where the examples have them
            List<int[]> offPrompts = new ArrayList<>();
            List<int[]> offCompletions = new ArrayList<>();
            for (int i = 0; i < examples.size(); i++) {
                if (examples.get(i).hasCompletion()) {
                    offPrompts.add(prompts.get(i));
                    offCompletions.add(tokens.completion(examples.get(i)));
                }
            }
            if (!offPrompts.isEmpty()) {
                TokenDivergences.Sums offSums = sums(new SequenceBatch(offPrompts, offCompletions));
                off[0] += offSums.forwardKl();
                off[1] += offSums.reverseKl();
                off[2] += offSums.studentLogLikelihood();
                offPositions += offSums.positions();
            }

            // side-by-side completions of the first prompts
            if (samples.size() < config.evalSamples()) {
                int count = Math.min(config.evalSamples() - samples.size(), examples.size());
                List<int[]> teacherCompletions = teacherSampling == null ? null
                        : teacherSampling.sample(prompts.subList(0, count), seed + first + 1);
                for (int i = 0; i < count; i++) {
                    samples.add(new RunReport.Sample(examples.get(i).prompt(),
                            tokens.decode(studentCompletions.get(i)),
                            teacherCompletions == null ? null : tokens.decode(teacherCompletions.get(i))));
                }
            }
        }
        boolean teacher = setup.teacher() != null;
        return new Result(
                teacher ? mean(on[0], onPositions) : Double.NaN,
                teacher ? mean(on[1], onPositions) : Double.NaN,
                teacher ? mean(off[0], offPositions) : Double.NaN,
                teacher ? mean(off[1], offPositions) : Double.NaN,
                mean(-off[2], offPositions),
                samples);
    }

    private TokenDivergences.Sums sums(SequenceBatch batch) {
        Transformer student = setup.student();
        Transformer teacher = setup.teacher();
        try (Tape.Scope ignored = Tape.noGrad()) {
            var studentHidden = student.forwardHidden(batch.ids(), batch.batch(), batch.time(), batch.keyMask(), null);
            var teacherHidden = teacher == null ? null
                    : teacher.forwardHidden(batch.ids(), batch.batch(), batch.time(), batch.keyMask(), null);
            return TokenDivergences.sums(studentHidden.value(), student.headWeight().value(),
                    teacherHidden == null ? null : teacherHidden.value(),
                    teacher == null ? null : teacher.headWeight().value(), batch.targets(), setup.config().chunkRows());
        }
    }

    private static double mean(double sum, int count) {
        return count == 0 ? Double.NaN : sum / count;
    }
}
