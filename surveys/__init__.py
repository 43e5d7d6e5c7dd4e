"""Surveys: 满意率 questionnaires and 知识问答 quizzes."""
