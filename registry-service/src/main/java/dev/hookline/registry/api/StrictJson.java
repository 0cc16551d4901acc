/*
 * Strict request JSON for the registry (issue 26): the Quarkus ObjectMapperCustomizer that turns
 * off Jackson's lenient coercions (jackson-databind CoercionConfig / MapperFeature, 2.12+), and the
 * String deserializer that refuses forbidden characters and over-long text with the JSON path.
 */
package dev.hookline.registry.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

import java.io.IOException;

/**
 * Makes request bodies strict: integers only where the type is an integer ({@code 1.5} and
 * {@code "1"} are refused), enums by name only ({@code [1]} is refused), booleans only as
 * {@code true}/{@code false}, no number/string/boolean coercion in either direction, {@code ""}
 * is never null or zero, duplicate keys and trailing tokens are refused. Every refusal is a
 * Jackson mapping exception that {@link ProblemMappers} answers with a 400 naming the field.
 * Serialisation is untouched.
 */
@Singleton
public class StrictJson implements ObjectMapperCustomizer {

    @Override
    public void customize(ObjectMapper mapper) {
        apply(mapper);
    }

    /** Applies the strict settings to {@code mapper} (also used by tests and tools). */
    public static ObjectMapper apply(ObjectMapper mapper) {
        mapper.disable(MapperFeature.ALLOW_COERCION_OF_SCALARS);
        mapper.disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
        mapper.enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS);
        mapper.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        mapper.enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
        mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        mapper.disable(DeserializationFeature.ACCEPT_EMPTY_STRING_AS_NULL_OBJECT);
        mapper.disable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY);
        // "" is not null, not 0, not false, not an empty list or object.
        mapper.coercionConfigDefaults()
                .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail)
                .setAcceptBlankAsEmpty(false);
        for (LogicalType t : new LogicalType[]{LogicalType.Integer, LogicalType.Float, LogicalType.Boolean,
                LogicalType.Enum, LogicalType.Textual, LogicalType.Collection, LogicalType.Array, LogicalType.Map,
                LogicalType.POJO, LogicalType.DateTime}) {
            var cfg = mapper.coercionConfigFor(t);
            cfg.setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
            cfg.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
            cfg.setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
            cfg.setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
            cfg.setAcceptBlankAsEmpty(false);
            if (t == LogicalType.Integer || t == LogicalType.Float || t == LogicalType.Boolean) {
                cfg.setCoercion(CoercionInputShape.String, CoercionAction.Fail);
            }
        }
        // Integers stay integers and floats may come from integers (2 is a fine double).
        mapper.coercionConfigFor(LogicalType.Integer).setCoercion(CoercionInputShape.Integer, CoercionAction.TryConvert);
        mapper.coercionConfigFor(LogicalType.Float).setCoercion(CoercionInputShape.Integer, CoercionAction.TryConvert);
        mapper.coercionConfigFor(LogicalType.Float).setCoercion(CoercionInputShape.Float, CoercionAction.TryConvert);
        mapper.coercionConfigFor(LogicalType.Boolean).setCoercion(CoercionInputShape.Boolean, CoercionAction.TryConvert);
        SimpleModule strings = new SimpleModule("hookline-strict-strings");
        strings.addDeserializer(String.class, new CheckedString());
        mapper.registerModule(strings);
        return mapper;
    }

    /**
     * A JSON string, nothing else (numbers and booleans are not text), free of the characters
     * {@link RequestValidator#forbiddenCharacter} names and at most {@link RequestValidator#MAX_TEXT}
     * characters long.
     */
    static final class CheckedString extends StdScalarDeserializer<String> {

        CheckedString() {
            super(String.class);
        }

        @Override
        public String deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (!p.hasToken(JsonToken.VALUE_STRING)) {
                return (String) ctxt.handleUnexpectedToken(String.class, p.currentToken(), p,
                        "expected a JSON string, got %s", p.currentToken());
            }
            String s = p.getText();
            if (s.length() > RequestValidator.MAX_TEXT) {
                throw MismatchedInputException.from(p, String.class,
                        "text longer than " + RequestValidator.MAX_TEXT + " characters");
            }
            String bad = RequestValidator.forbiddenCharacter(s);
            if (bad != null) {
                throw MismatchedInputException.from(p, String.class, bad);
            }
            return s;
        }

        @Override
        public LogicalType logicalType() {
            return LogicalType.Textual;
        }

        @Override
        public boolean isCachable() {
            return true;
        }
    }
}
