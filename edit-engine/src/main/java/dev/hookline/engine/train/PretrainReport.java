/*
 * The figures of one pretraining run, written as DIR/pretrain-report.json.
 */
package dev.hookline.engine.train;

/**
 * @param world world preset name
 * @param preset pretraining preset name
 * @param seed seed of initialisation and data order
 * @param params scalar parameters (tied head counted once)
 * @param hiddenSize d
 * @param layers blocks
 * @param heads attention heads
 * @param vocabSize tokenizer vocabulary
 * @param epochs passes over the corpus
 * @param steps optimiser steps
 * @param corpusLines training sequences per epoch
 * @param tokens real tokens processed over all epochs
 * @param trainFlops estimated training FLOPs (6 x non-embedding-and-head params x tokens plus attention)
 * @param seconds training wall-clock seconds
 * @param cpuSeconds process CPU seconds of training (wall-clock is inflated when other jobs share the cores)
 * @param totalSeconds whole run including world generation, saving and evaluation
 * @param tokensPerSecond training throughput
 * @param firstEpochLoss mean loss of the first epoch
 * @param finalLoss mean loss of the last epoch
 * @param canonicalAccuracy teacher-forced top-1 on each fact's first statement template
 * @param paraphraseAccuracy the same on the other statement templates and the questions
 * @param canonicalProbes number of canonical probes
 * @param paraphraseProbes number of paraphrase probes
 * @param rssStartMb VmRSS at the start of the run
 * @param rssAfterFirstEpochMb VmRSS after warm-up (first epoch)
 * @param rssEndMb VmRSS at the end of training
 * @param rssPerEpochMb VmRSS after each epoch (flat after warm-up when native memory is not leaking)
 * @param device the engine device the model ran on
 * @param date ISO-8601 time the run finished
 * @param initFrom checkpoint the run continued from (absolute path), null for a fresh initialisation
 * @param priorEpochs epochs that checkpoint had been trained for ({@code epochs} come on top)
 * @param resumedAfterEpoch when the run was interrupted and resumed ({@code pretrain --resume}), the
 *     last epoch its snapshot held; null for a run in one go (seconds and CPU seconds cover every part)
 */
public record PretrainReport(String world, String preset, long seed, long params, int hiddenSize,
        int layers, int heads, int vocabSize, int epochs, long steps, int corpusLines, long tokens,
        double trainFlops, double seconds, double cpuSeconds, double totalSeconds, double tokensPerSecond,
        double firstEpochLoss, double finalLoss, double canonicalAccuracy, double paraphraseAccuracy,
        int canonicalProbes, int paraphraseProbes, double rssStartMb, double rssAfterFirstEpochMb,
        double rssEndMb, java.util.List<Double> rssPerEpochMb, String device, String date,
        String initFrom, int priorEpochs, Integer resumedAfterEpoch) {}
