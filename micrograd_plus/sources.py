"""The books and lecture slides the worked examples and demos come from, cited once.

``SOURCES[key].short`` is the citation used in listings, docstrings and plot titles
(``cite('meng', 'Example 3.5')`` → ``Meng & Ou, Deep Learning Theory and Applications,
Example 3.5``); ``reference`` is the full entry of the README's "Sources" section.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Source", "SOURCES", "cite"]


@dataclass(frozen=True)
class Source:
    key: str
    authors: str  # as printed on the source
    title: str  # original title (English translation in brackets for Chinese titles)
    published: str  # publisher and year, or the institution of a lecture
    chapter: str  # the chapter the examples come from
    short: str  # the short citation

    @property
    def reference(self) -> str:
        return f"{self.authors}, *{self.title}*, {self.published}. {self.chapter}."


SOURCES: dict[str, Source] = {s.key: s for s in (
    Source("meng", "蒙祖强 (Meng Zuqiang), 欧元汉 (Ou Yuanhan)",
           "深度学习理论与应用 (Deep Learning Theory and Applications)",
           "清华大学出版社 (Tsinghua University Press), 2023, ISBN 978-7-302-63508-6",
           "Chapter 3, 全连接神经网络 (Fully connected neural networks), and its lecture "
           "slides: Examples 3.1 to 3.5",
           "Meng & Ou, Deep Learning Theory and Applications"),
    Source("wang", "王成 (Wang Cheng), 黄晓辉 (Huang Xiaohui)",
           "跟我一起学深度学习 (Learn Deep Learning with Me)",
           "清华大学出版社 (Tsinghua University Press)",
           "Chapter 3, 深度学习基础 (Deep learning basics): sections 3.1 to 3.13 (regression, "
           "gradient descent and backpropagation, metrics, regularization, multi-label "
           "classification)",
           "Wang & Huang, Learn Deep Learning with Me"),
    Source("li", "李冰 (Bing Li)",
           "深度学习应用与工程实践 (Deep Learning Applications and Engineering Practice)",
           "lecture slides, Capital Normal University (首都师范大学)",
           "Lecture 5, 神经网络：前向/后向、训练 (Neural networks: forward and backward "
           "propagation, training): the lunch-price neuron and the delta rule",
           "Bing Li's lecture 5 slides"),
    Source("ketkar", "Nikhil Ketkar, Jojo Moolayil",
           "Deep Learning with Python: Learn Best Practices of Deep Learning Models with "
           "PyTorch, 2nd edition",
           "Apress, 2021 (read in a Chinese translation)",
           "Chapter 3, Feed-Forward Neural Networks: loss functions, activations, optimizers",
           "Ketkar & Moolayil, Deep Learning with Python"),
    Source("chaudhury", "Krishnendu Chaudhury, with Ananya H. Ashok, Sujay Narumanchi, "
           "Devashish Shankar",
           "Math and Architectures of Deep Learning",
           "Manning, 2024 (read in a Chinese translation)",
           "Chapter 8, Training neural networks: forward propagation and backpropagation",
           "Chaudhury, Math and Architectures of Deep Learning"),
)}


def cite(key: str, where: str = "") -> str:
    """The short citation of source ``key``, followed by ``where`` (``'Example 3.5'``)."""
    short = SOURCES[key].short
    return f"{short}, {where}" if where else short
