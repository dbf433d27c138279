/**
 * Scale-out scoring on Apache Spark: {@link org.disranker.spark.PoolScoringJob} scores a pool of
 * query-document pairs with the student or the teacher, one model per executor ({@link
 * org.disranker.spark.ExecutorModels}), in batches planned per query ({@link
 * org.disranker.serve.QueryScorer}) so that the scores do not depend on the cluster.
 */
package org.disranker.spark;
