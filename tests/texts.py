"""Sample texts in Chinese, Japanese and Korean, shared by the tests of their word cutting and of the database."""

from __future__ import annotations

CHINESE = ("机器学习是人工智能的一个分支。机器学习算法从数据中学习模型，并用模型进行预测。"
           "深度学习是机器学习的一种方法，它使用神经网络。神经网络由许多层组成。"
           "机器学习在图像识别、语音识别和自然语言处理中有广泛应用。")
# The same text's start in Traditional characters.
TRADITIONAL = "機器學習是人工智慧的一個分支。機器學習演算法從資料中學習模型，並用模型進行預測。"
JAPANESE = ("機械学習は人工知能の一分野です。機械学習のアルゴリズムはデータからモデルを学習し、予測を行います。"
            "深層学習はニューラルネットワークを使う機械学習の手法です。ニューラルネットワークは多数の層から構成されます。")
KOREAN = ("기계 학습은 인공 지능의 한 분야이다. 기계 학습 알고리즘은 데이터에서 모델을 학습한다. "
          "심층 학습은 신경망을 사용하는 기계 학습 방법이다. 신경망은 여러 층으로 구성된다. "
          "기계 학습은 이미지 인식과 음성 인식, 자연어 처리에 널리 사용된다. GPU를 쓰면 신경망의 학습이 빠르다.")
