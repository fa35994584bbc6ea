package org.gkd4j.cli;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.gkd4j.gkd.data.EditDistance;
import org.gkd4j.gkd.data.Utf8Text;
import org.gkd4j.gkd.train.TrainConfig;

/** Builds the effective {@link TrainConfig}: the mode's defaults, then a JSON config file, then the command line. */
public final class ConfigFile {

    // 2.5 for an integer option, "true" for a flag or 5 for a path is a typing mistake, so it is rejected rather than
    // rounded or converted. A key given twice is rejected because only one of the two values could take effect, and
    // text after the object because none of it would.
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .withCoercionConfig(LogicalType.Textual, textual -> textual
                    .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .build();

    /** The options of distill and sft that a config file cannot set. */
    static final List<String> COMMAND_LINE_ONLY = List.of("config", "resume", "overwrite");

    private ConfigFile() {
    }

    /**
     * Layers {@code base}, the file (when not null) and the command-line options; the later layer wins.
     * Raises IllegalArgumentException naming the file and key for an unreadable file, an unknown key or a bad value.
     */
    public static TrainConfig merge(TrainConfig base, Path file, ObjectNode commandLine) {
        ObjectNode merged = JSON.valueToTree(base);
        ObjectNode knownKeys = merged.deepCopy();
        if (file != null) {
            ObjectNode fromFile = read(file);
            checkValues(file, fromFile, merged);
            merged.setAll(fromFile);
        }
        merged.setAll(commandLine);
        try {
            return JSON.treeToValue(merged, TrainConfig.class);
        } catch (UnrecognizedPropertyException e) {
            String key = e.getPropertyName();
            if (COMMAND_LINE_ONLY.contains(key)) {
                throw new IllegalArgumentException("config file " + file + ": \"" + key + "\" is a command-line"
                        + " option only, because it chooses what happens to the run rather than how it trains; remove"
                        + " it from the file and pass --" + key + " instead");
            }
            throw new IllegalArgumentException("config file " + file + ": unknown key \"" + key + "\"; "
                    + nearestKey(key, knownKeys).map(known -> "did you mean \"" + known + "\"? ").orElse("")
                    + "keys are the long option names without dashes, for example \"batch-size\"");
        } catch (MismatchedInputException e) {
            throw new IllegalArgumentException(wrongType(file, merged, e));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("config" + (file == null ? "" : " file " + file) + ": invalid value ("
                    + e.getOriginalMessage() + ")");
        }
    }

    /** Returns the known key within two edits of {@code key}, ignoring case, if there is one. */
    static Optional<String> nearestKey(String key, ObjectNode known) {
        String lower = key.toLowerCase(Locale.ROOT);
        return known.properties().stream()
                .map(Map.Entry::getKey)
                .filter(name -> !COMMAND_LINE_ONLY.contains(name) && !name.equals("mode"))
                .min(Comparator.comparingInt(name -> EditDistance.between(lower, name)))
                .filter(name -> EditDistance.between(lower, name) <= 2);
    }

    /** Returns a message naming the key, the expected type and the value, for example: steps must be an integer, got "five". */
    static String wrongType(Path file, ObjectNode merged, MismatchedInputException e) {
        String where = file == null ? "config" : file.toString();
        if (e.getPath().isEmpty() || e.getPath().getLast().getFieldName() == null) {
            return where + ": invalid value (" + e.getOriginalMessage() + ")";
        }
        String key = e.getPath().getLast().getFieldName();
        Class<?> type = e.getTargetType();
        String expected;
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
            expected = "an integer";
        } else if (type == double.class || type == Double.class || type == float.class || type == Float.class) {
            expected = "a number";
        } else if (type == boolean.class || type == Boolean.class) {
            expected = "true or false";
        } else if (type == String.class) {
            expected = "a string";
        } else {
            expected = "a " + (type == null ? "different value" : type.getSimpleName());
        }
        JsonNode value = merged.get(key);
        return where + ": " + key + " must be " + expected + ", got " + (value == null ? "null" : value.toString());
    }

    /**
     * Rejects the values that the typed conversion would report without naming the key, or not at all. These are null
     * for a setting whose default is not null (only the paths and the reward may be null), and an integer beyond the
     * range of an int option.
     */
    static void checkValues(Path file, ObjectNode fromFile, ObjectNode defaults) {
        for (var entry : fromFile.properties()) {
            String key = entry.getKey();
            JsonNode value = entry.getValue();
            JsonNode byDefault = defaults.get(key);
            if (byDefault == null) {
                continue;
            }
            if (value.isNull() && !byDefault.isNull()) {
                throw new IllegalArgumentException(file + ": " + key + " must not be null; remove the key to use the"
                        + " default " + byDefault);
            }
            if (byDefault.isInt() && value.isIntegralNumber() && !value.canConvertToInt()) {
                throw new IllegalArgumentException(file + ": " + key + " must be an integer from " + Integer.MIN_VALUE
                        + " to " + Integer.MAX_VALUE + ", got " + value);
            }
        }
    }

    /** Returns the "mode" that a config file sets (distill or sft in a saved config.json), or null without one. */
    public static String mode(Path file) {
        JsonNode mode = read(file).get("mode");
        return mode == null || mode.isNull() ? null : mode.asText();
    }

    /** Reads a JSON object from {@code file}. */
    public static ObjectNode read(Path file) {
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("config file " + file + " is not found");
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("config file " + file + " is not a regular file; pass a JSON file");
        }
        JsonNode node;
        try {
            node = JSON.readTree(Utf8Text.read(file, "config file " + file));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("config file " + file + " is not valid JSON: " + parseError(e));
        } catch (IOException e) {
            throw new IllegalArgumentException("config file " + file + " is not readable: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("config file " + file + " must contain one JSON object of option names");
        }
        return (ObjectNode) node;
    }

    /**
     * Returns Jackson's parse error with the line and column where it stopped, for example "Unexpected end-of-input
     * (line 1, column 12)". Jackson's own "(start marker at [Source: REDACTED ...])" note is dropped, because it
     * names an internal setting rather than the file.
     */
    static String parseError(JsonProcessingException e) {
        String message = e.getOriginalMessage().replaceAll("\\s*\\(start marker at \\[Source: .*?\\]\\)", "");
        JsonLocation location = e.getLocation();
        if (location == null || location.getLineNr() < 1) {
            return message;
        }
        return message + " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    }

    /** Returns the config as indented JSON, the form written to config.json. */
    public static String toJson(TrainConfig config) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("config: cannot write as JSON", e);
        }
    }
}
