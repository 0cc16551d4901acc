/*
 * Independent plain-Java float64 GPT-2 forward, the oracle for the DJL implementation.
 * Reference: transformers' modeling_gpt2.py, written with naive loops. It reads config.json and
 * model.safetensors with its own code (no engine classes), so a shared IO bug cannot hide.
 */
package dev.hookline.engine.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/** Naive GPT-2 forward over one unpadded sequence. */
public final class ReferenceGpt2 {
    private final int vocab;
    private final int d;
    private final int layers;
    private final int heads;
    private final int ff;
    private final double eps;
    private final Map<String, double[]> w = new HashMap<>();

    /** Output of one forward. */
    public record Output(double[][] logits, double[][][] keys, double[][][] blockOutputs) {}

    public ReferenceGpt2(Path dir) throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode config = json.readTree(dir.resolve("config.json").toFile());
        vocab = config.get("vocab_size").asInt();
        d = config.get("n_embd").asInt();
        layers = config.get("n_layer").asInt();
        heads = config.get("n_head").asInt();
        ff = config.get("n_inner") == null || config.get("n_inner").isNull()
                ? 4 * d : config.get("n_inner").asInt();
        eps = config.get("layer_norm_epsilon").asDouble();
        byte[] bytes = Files.readAllBytes(dir.resolve("model.safetensors"));
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) buf.getLong(0);
        JsonNode header = json.readTree(new String(bytes, 8, n, StandardCharsets.UTF_8));
        Iterator<Map.Entry<String, JsonNode>> it = header.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            if (!e.getValue().get("dtype").asText().equals("F32")) {
                throw new IllegalStateException("reference reads F32 only: " + e.getKey());
            }
            long begin = e.getValue().get("data_offsets").get(0).asLong();
            long end = e.getValue().get("data_offsets").get(1).asLong();
            double[] values = new double[(int) ((end - begin) / 4)];
            for (int i = 0; i < values.length; i++) {
                values[i] = buf.getFloat((int) (8 + n + begin + 4L * i));
            }
            String name = e.getKey().startsWith("transformer.") ? e.getKey().substring(12) : e.getKey();
            w.put(name, values);
        }
    }

    public Output forward(int[] ids) {
        int t = ids.length;
        double[] wte = w.get("wte.weight");
        double[] wpe = w.get("wpe.weight");
        double[][] x = new double[t][d];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < d; j++) {
                x[i][j] = wte[ids[i] * d + j] + wpe[i * d + j];
            }
        }
        double[][][] keys = new double[layers][][];
        double[][][] outputs = new double[layers][][];
        int hs = d / heads;
        for (int l = 0; l < layers; l++) {
            String p = "h." + l + ".";
            double[][] a = layerNorm(x, w.get(p + "ln_1.weight"), w.get(p + "ln_1.bias"));
            double[][] qkv = linear(a, w.get(p + "attn.c_attn.weight"), w.get(p + "attn.c_attn.bias"), d, 3 * d);
            double[][] y = new double[t][d];
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < t; i++) {
                    double[] scores = new double[i + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int s = 0; s <= i; s++) {
                        double dot = 0;
                        for (int c = 0; c < hs; c++) {
                            dot += qkv[i][h * hs + c] * qkv[s][d + h * hs + c];
                        }
                        scores[s] = dot / Math.sqrt(hs);
                        max = Math.max(max, scores[s]);
                    }
                    double sum = 0;
                    for (int s = 0; s <= i; s++) {
                        scores[s] = Math.exp(scores[s] - max);
                        sum += scores[s];
                    }
                    for (int s = 0; s <= i; s++) {
                        for (int c = 0; c < hs; c++) {
                            y[i][h * hs + c] += scores[s] / sum * qkv[s][2 * d + h * hs + c];
                        }
                    }
                }
            }
            double[][] attn = linear(y, w.get(p + "attn.c_proj.weight"), w.get(p + "attn.c_proj.bias"), d, d);
            add(x, attn);
            double[][] m = layerNorm(x, w.get(p + "ln_2.weight"), w.get(p + "ln_2.bias"));
            double[][] k = linear(m, w.get(p + "mlp.c_fc.weight"), w.get(p + "mlp.c_fc.bias"), d, ff);
            for (double[] row : k) {
                for (int j = 0; j < ff; j++) {
                    double v = row[j];
                    row[j] = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
                }
            }
            keys[l] = k;
            add(x, linear(k, w.get(p + "mlp.c_proj.weight"), w.get(p + "mlp.c_proj.bias"), ff, d));
            outputs[l] = new double[t][];
            for (int i = 0; i < t; i++) {
                outputs[l][i] = x[i].clone();
            }
        }
        double[][] f = layerNorm(x, w.get("ln_f.weight"), w.get("ln_f.bias"));
        double[][] logits = new double[t][vocab];
        for (int i = 0; i < t; i++) {
            for (int v = 0; v < vocab; v++) {
                double s = 0;
                for (int j = 0; j < d; j++) {
                    s += f[i][j] * wte[v * d + j];
                }
                logits[i][v] = s;
            }
        }
        return new Output(logits, keys, outputs);
    }

    private double[][] layerNorm(double[][] x, double[] g, double[] b) {
        double[][] out = new double[x.length][d];
        for (int i = 0; i < x.length; i++) {
            double mean = 0;
            for (double v : x[i]) {
                mean += v;
            }
            mean /= d;
            double var = 0;
            for (double v : x[i]) {
                var += (v - mean) * (v - mean);
            }
            var /= d;
            for (int j = 0; j < d; j++) {
                out[i][j] = (x[i][j] - mean) / Math.sqrt(var + eps) * g[j] + b[j];
            }
        }
        return out;
    }

    /** Conv1D: y = x W + b with W stored (in, out). */
    private static double[][] linear(double[][] x, double[] weight, double[] bias, int in, int out) {
        double[][] y = new double[x.length][out];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < out; o++) {
                double s = bias[o];
                for (int c = 0; c < in; c++) {
                    s += x[i][c] * weight[c * out + o];
                }
                y[i][o] = s;
            }
        }
        return y;
    }

    private static void add(double[][] x, double[][] y) {
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[i].length; j++) {
                x[i][j] += y[i][j];
            }
        }
    }
}
