"""Run with ``manage.py shell``: a published, anonymous, one-page survey of 10 questions (9 three-level
satisfaction questions and one comment), like the project's benchmark survey; prints its id."""
from survey.models import Question, Survey

survey = Survey.objects.create(name="城市环境卫生满意度调查（基准测试）", description="基准测试", is_published=True,
                               need_logged_user=False, editable_answers=False,
                               display_method=Survey.ALL_IN_ONE_PAGE)
ASPECTS = ("总体", "道路清扫保洁", "公厕卫生", "农贸市场", "垃圾清运", "背街小巷", "小区环境", "餐饮店卫生",
           "病媒生物防制")
for order, aspect in enumerate(ASPECTS):
    Question.objects.create(survey=survey, text=f"您对{aspect}是否满意？", order=order, required=True,
                            type=Question.RADIO, choices="satisfied,fair,dissatisfied")
Question.objects.create(survey=survey, text="您的意见和建议", order=len(ASPECTS), required=False, type=Question.TEXT)
print(f"SURVEY {survey.id}")
