/**
 * Ranking metrics that agree with trec_eval (nDCG, MRR, MAP, recall), the DisRanker paper's PNR
 * and ΔGSB, and paired significance tests.
 */
package org.disranker.core.metrics;
