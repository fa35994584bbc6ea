package org.gkd4j.gkd.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.gkd4j.gkd.data.DataSplit;
import org.gkd4j.gkd.data.DatasetLoader;
import org.gkd4j.gkd.data.Example;
import org.gkd4j.gkd.data.PromptSplit;
import org.gkd4j.gkd.data.TextCodec;
import org.gkd4j.gkd.divergence.Divergence;
import org.gkd4j.gkd.reward.Reward;
import org.gkd4j.gkd.reward.Rewards;
import org.gkd4j.model.ModelConfig;
import org.gkd4j.model.Transformer;
import org.gkd4j.model.checkpoint.Checkpoints;
import org.gkd4j.model.checkpoint.ModelWeights;
import org.gkd4j.model.tokenizer.Tokenizer;
import org.gkd4j.model.tokenizer.Tokenizers;

/**
 * Everything a run needs, loaded and checked before anything is written: the tokenizer, the teacher, the student,
 * the data split, the divergence and the reward. Every problem raises IllegalArgumentException with the value and
 * the fix, so the command line can exit with code 2 and leave the output directory untouched.
 *
 * @param teacher null only for {@code sft} without {@code --teacher}: then the evaluation reports only the NLL
 */
public record TrainingSetup(TrainConfig config, Tokenizer tokenizer, Transformer teacher, Transformer student,
                            DataSplit data, Divergence divergence, Reward reward) {

    /** Loads and validates everything {@code config} names. */
    public static TrainingSetup prepare(TrainConfig config) throws IOException {
        config.validate();
        PromptSplit promptSplit = PromptSplit.parse(config.promptSplit());
        Divergence divergence = Divergence.parse(config.divergence(), config.beta(), skewAlpha(config));
        Reward reward = config.reward() == null ? null : Rewards.parse(config.reward());

        // tokenizer and teacher; sft evaluates against a teacher only when one is named
        Tokenizer tokenizer = config.tokenizer() == null ? Tokenizers.stories260K() : loadTokenizer(config.tokenizer());
        Transformer teacher = null;
        if (!config.isSft() || config.teacher() != null) {
            ModelWeights weights = config.teacher() == null ? Checkpoints.stories260K()
                    : loadWeights("--teacher", config.teacher());
            teacher = Transformer.fromTensors(weights.config(), weights.dequantizeAll().denseTensors());
        }

        // student: a checkpoint, or a fresh one of the --student-* shape sharing the teacher's vocabulary
        Transformer student;
        if (config.student() != null) {
            ModelWeights weights = loadWeights("--student", config.student());
            student = Transformer.fromTensors(weights.config(),
                    copyTensors(weights.dequantizeAll().denseTensors()));
        } else {
            ModelConfig shape = teacher != null ? teacher.config() : stories260KShape();
            ModelConfig studentConfig;
            try {
                studentConfig = new ModelConfig(config.studentDim(), config.studentLayers(), config.studentHeads(),
                        config.studentKvHeads(), config.studentHiddenDim(), tokenizer.vocabSize(),
                        shape.contextLength(), shape.ropeTheta(), shape.normEps(), true);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("student shape: " + e.getMessage(), e);
            }
            try {
                student = Transformer.init(studentConfig, config.seed());
            } catch (IllegalArgumentException e) {
                // a weight matrix of more than 2^31 - 1 floats does not fit a Java array
                throw new IllegalArgumentException("student shape: " + e.getMessage() + "; choose a smaller"
                        + " --student-dim or --student-hidden-dim", e);
            }
        }
        checkVocabularies(tokenizer, teacher, student);
        int context = student.config().contextLength();
        if (teacher != null) {
            context = Math.min(context, teacher.config().contextLength());
        }
        // summed as long, because two large ints could wrap around to a value below the context
        if ((long) config.maxPromptTokens() + config.maxNewTokens() > context) {
            throw new IllegalArgumentException("--max-new-tokens " + config.maxNewTokens() + " plus --max-prompt-tokens "
                    + config.maxPromptTokens() + " is beyond the context length " + context
                    + "; lower them so that their sum is at most " + context);
        }

        // data and its held-out split
        TextCodec codec = codec(tokenizer);
        List<Example> examples = config.data() == null ? DatasetLoader.loadTinyStories(promptSplit, codec)
                : DatasetLoader.load(Path.of(config.data()), promptSplit, codec);
        if (config.heldOut() >= examples.size()) {
            throw new IllegalArgumentException("--held-out " + config.heldOut() + " leaves no training data: the data has "
                    + examples.size() + " examples; hold out fewer");
        }
        DataSplit split = DataSplit.of(examples, config.heldOut(), config.seed());
        if (config.batchSize() > split.train().size()) {
            throw new IllegalArgumentException("--batch-size " + config.batchSize() + " is larger than the "
                    + split.train().size() + " training examples (" + examples.size() + " minus " + config.heldOut()
                    + " held out); use a smaller batch or more data");
        }
        boolean needsCompletions = config.isSft() || (config.lambda() < 1 && !config.seqKd());
        if (needsCompletions) {
            List<Example> without = split.train().stream().filter(e -> !e.hasCompletion()).toList();
            long missing = without.size();
            if (missing > 0) {
                String source = config.data() == null ? "the shipped sample" : "--data " + config.data();
                throw new IllegalArgumentException(missing + " training examples of " + source + " have no"
                        + " completion (one has the prompt " + quoted(without.getFirst().prompt()) + "), but "
                        + (config.isSft() ? "sft trains on completions"
                        : "--lambda " + config.lambda() + " < 1 trains on data completions")
                        + (config.isSft() ? "; add a completion to every example"
                        : "; add completions, use --lambda 1 or --seq-kd"));
            }
        }
        return new TrainingSetup(config, tokenizer, teacher, student, split, divergence, reward);
    }

    /** Adapts the tokenizer to the data loader (no BOS or EOS). */
    public static TextCodec codec(Tokenizer tokenizer) {
        return new TextCodec() {
            @Override
            public int[] encode(String text) {
                return tokenizer.encode(text, false, false);
            }

            @Override
            public String decode(int[] ids) {
                return tokenizer.decode(ids);
            }
        };
    }

    static void checkVocabularies(Tokenizer tokenizer, Transformer teacher, Transformer student) {
        int studentVocab = student.config().vocabSize();
        if (teacher != null && teacher.config().vocabSize() != studentVocab) {
            throw new IllegalArgumentException("student has vocab " + studentVocab + " but the teacher has "
                    + teacher.config().vocabSize() + ": distil only between models that share a tokenizer");
        }
        if (tokenizer.vocabSize() != studentVocab) {
            throw new IllegalArgumentException("tokenizer has " + tokenizer.vocabSize() + " pieces but the student has vocab "
                    + studentVocab + ": pass the models' own tokenizer with --tokenizer");
        }
    }

    /** skl and srkl read their skew α from --beta; the other divergences ignore it. */
    private static double skewAlpha(TrainConfig config) {
        String name = config.divergence();
        if ((name.equals("skl") || name.equals("srkl")) && !(config.beta() > 0 && config.beta() < 1)) {
            throw new IllegalArgumentException("--beta " + config.beta() + " is the skew α of " + name
                    + " and must lie in (0, 1); for α = 0 use fkl or rkl");
        }
        return config.beta() > 0 && config.beta() < 1 ? config.beta() : 0.5;
    }

    private static ModelConfig stories260KShape() {
        return Checkpoints.stories260K().config();
    }

    private static Path requireFile(String option, String file) {
        Path path = Path.of(file);
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException(option + " " + file + " is not found or is not a regular file");
        }
        return requireReadable(option, file, path);
    }

    private static Path requireReadable(String option, String file, Path path) {
        if (!Files.isReadable(path)) {
            throw new IllegalArgumentException(option + " " + file + " is not readable; check its permissions");
        }
        return path;
    }

    /** Loads a checkpoint file or a Hugging Face model directory, naming the option in any error. */
    private static ModelWeights loadWeights(String option, String file) {
        Path path = Path.of(file);
        if (!Files.isDirectory(path)) {
            requireFile(option, file);
        } else {
            requireReadable(option, file, path);
        }
        try {
            return Checkpoints.load(path);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new IllegalArgumentException(option + " " + file + ": " + e.getMessage(), e);
        }
    }

    /** Loads a tokenizer file, naming the option in any error. */
    private static Tokenizer loadTokenizer(String file) throws IOException {
        Path path = requireFile("--tokenizer", file);
        try {
            return Tokenizers.load(path);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new IllegalArgumentException("--tokenizer " + file + ": " + e.getMessage(), e);
        }
    }

    /** Copies a checkpoint's tensors so that training never writes into a buffer the loader may share. */
    private static java.util.Map<String, org.gkd4j.tensor.Tensor> copyTensors(
            java.util.Map<String, org.gkd4j.tensor.Tensor> tensors) {
        java.util.Map<String, org.gkd4j.tensor.Tensor> copies = new java.util.LinkedHashMap<>();
        tensors.forEach((name, tensor) -> copies.put(name, tensor.copy()));
        return copies;
    }

    /** Returns the text in double quotes, cut to its first 40 characters, to point at one example in a message. */
    private static String quoted(String text) {
        String start = text.length() <= 40 ? text : text.substring(0, 40) + "…";
        return "\"" + start.replace("\n", "\\n") + "\"";
    }
}
