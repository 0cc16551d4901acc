/*
 * A hyperparameter's value typed on a command line (batch --set style KEY=VALUE): what the worker's
 * `register-model --edit-default` and the CLI's `model defaults` put into a hyperparameters object.
 */
package dev.hookline.client;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Parses a command-line hyperparameter value into JSON. */
public final class HyperparameterValue {
    private HyperparameterValue() {}

    /**
     * Puts {@code value} under {@code key}: {@code layers} as comma-separated integers, an integer as a JSON
     * integer, anything else as a finite number.
     *
     * @throws NumberFormatException when the value is not such a number (the caller words the error)
     */
    public static void put(ObjectNode into, String key, String value) {
        if (key.equals("layers")) {
            ArrayNode a = into.putArray(key);
            for (String x : value.split(",")) {
                a.add(Integer.parseInt(x.trim()));
            }
        } else if (value.matches("[+-]?\\d+")) {
            into.put(key, Long.parseLong(value));
        } else {
            double d = Double.parseDouble(value);
            if (!Double.isFinite(d)) {
                throw new NumberFormatException("not finite: " + value);
            }
            into.put(key, d);
        }
    }
}
