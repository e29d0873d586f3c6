"""Model-in-the-loop adversarial search, composed of TextAttack's four parts.

* transformation: any searchable perturbation (``eligible_words`` + ``candidates``): character noise,
  code-switching into several embedded languages, word substitution;
* constraints (:mod:`.constraints`): protected words, maximum fraction of words changed, an optional
  sentence-similarity floor;
* goal (:mod:`.goal`): untargeted label flip for classification;
* search (:mod:`.methods`): greedy by word importance, beam search.

:mod:`.engine` runs many examples' searches at once: every step of every active example goes to the
victim in one batched call, answers are cached by input hash, and each example's query budget is
enforced and counted on its own, so results never depend on which examples share a batch.
"""
