"""
====================================
Text classification with a pipeline
====================================

The learner wraps a whole ``Pipeline`` (``TfidfVectorizer`` then a linear
classifier) and ``X`` is a plain list of documents: rows are taken from it as
they are. To stay offline, the corpus is generated here: short documents on
four topics whose vocabularies overlap, with shared filler words.
"""

import os

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from skal import ActiveLearner
from skal.metrics import summarize_learning_curves
from skal.model_selection import active_learning_curve
from skal.plotting import ActiveLearningCurveDisplay
from skal.strategies import RandomSampling, UncertaintySampling

FULL = os.environ.get("SKAL_EXAMPLES_FULL") == "1"  # smoke run by default

TOPICS = {
    "sport": "match goal team season coach league score player final win cup",
    "space": "orbit rocket launch planet star moon mission telescope crew probe",
    "food": "recipe oven flour sugar taste dinner sauce bake spice kitchen",
    "money": "market stock price bank rate loan fund profit trade tax",
}
SHARED = "new record big plan report year week high low team price star"
FILLER = "the a of and to in on for with today after this that very".split()


def make_corpus(n_documents, rng):
    """Documents of 6 to 14 words: topic words, shared words and filler."""
    names = list(TOPICS)
    documents, labels = [], []
    for _ in range(n_documents):
        label = rng.randint(len(names))
        own, shared = TOPICS[names[label]].split(), SHARED.split()
        words = []
        for _ in range(rng.randint(6, 15)):
            kind = rng.rand()
            pool = own if kind < 0.3 else shared if kind < 0.6 else FILLER
            words.append(pool[rng.randint(len(pool))])
        documents.append(" ".join(words))
        labels.append(names[label])
    return documents, np.array(labels)


documents, labels = make_corpus(1200 if FULL else 600, np.random.RandomState(0))
print(documents[0], "->", labels[0])

# %%
# Margin sampling against random sampling, on the same splits and the same
# ten random initial documents per repeat.
model = make_pipeline(TfidfVectorizer(), LogisticRegression(C=10, max_iter=1000))
learners = {
    "random": ActiveLearner(model, RandomSampling(), budget=120, batch_size=10),
    "margin": ActiveLearner(model, UncertaintySampling(), budget=120, batch_size=10),
}
n_labeled, scores = active_learning_curve(
    learners, documents, labels, n_repeats=10 if FULL else 3, random_state=0
)
ActiveLearningCurveDisplay.from_results(n_labeled, scores, score_name="Test accuracy")
for row in summarize_learning_curves(n_labeled, scores, baseline="random"):
    print(f"{row['name']:>7}: final accuracy {row['final_mean']:.3f}")
