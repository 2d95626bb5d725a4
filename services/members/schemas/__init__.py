"""Request and response schemas of the members service, one module per resource.

Everything is re-exported here: ``from .schemas import PersonIn`` reads the same as before the split. A step
(``POST /people/{id}/steps``) and a management action (``POST /people/{id}/management``) are discriminated by
``kind`` (``steps.STEP_SCHEMAS``, ``management.ACTION_SCHEMAS``).
"""
from __future__ import annotations

from .common import BAD_ID, IdNumber, Kinded, PHONE_RE, Phone, UnderArgs, VOTES, ViolationOut, YEAR
from .people import (CLASSIFICATIONS, GENDERS, PartyStanding, PersonBrief, PersonIn, PersonListArgs, PersonOut,
                     PersonPage, PersonPatch, PersonSummaryOut)
from .steps import (ActivistStep, AdmissionVoteStep, ApplicationStep, ApprovalStep, AssessmentStep,
                    CommitteeReviewStep, ConversionApprovalStep, ConversionVoteStep, DeadlineOut, DepartmentOpinion,
                    FiledStep, FormStep, IntroducersStep, JointReviewStep, Leader, NoticeStep, OathStep,
                    PlacementStep, PlainStep, PoliticalReviewStep, PreReviewStep, RelativeReviewStep, ReversalIn,
                    STEP_SCHEMAS, SponsorsStep, StepIn, StepOut, StepPage, TalkStep, TargetStep, TimelineOut,
                    TimelineRecord, TimelineStep, TrainingStep, UpperTalkStep)
from .management import (ACTION_SCHEMAS, ActionIn, ActionOut, ActionPage, ClassificationAction, CorrectionAction,
                         CorrectionResultAction, ExpulsionAction, PartyProbationAction, PersuasionAction, PlainAction,
                         RemovalAction)
from .transfers import TRANSFER_STATUSES, TransferIn, TransferListArgs, TransferOut, TransferPage, TransferPatch
from .reviews import GRADES, GradeIn, GradeOut, ReviewIn, ReviewListArgs, ReviewOut, ReviewPage
from .points import (AwardIn, AwardListArgs, AwardOut, AwardPage, POINT_SOURCES, PersonPointsArgs, PersonPointsOut,
                     RankedMember, RankingArgs, RankingOut)
from .reports import (ALERT_KINDS, AlertArgs, AlertOut, AlertPage, BreachArgs, BreachCount, BreachReportOut,
                      NoDevelopmentArgs, NoDevelopmentOut, StageCounts, StageReportOut, VillageOut)
from .imports import ImportOut, ImportPage
from .dues import (ArrearsOut, BillListArgs, BillOut, BillPage, BillsIn, BillsOut, Deduction, DuesAlertOut,
                   DuesArrearsArgs, DuesArrearsOut, DuesBaseIn, DuesBaseOut, DuesBranchFigures, DuesFigures,
                   DuesMonthFigures, DuesReportArgs, DuesReportOut, IncomeItem, MONEY_MAX, Money, Month,
                   PaymentImportArgs, PaymentImportOut, PaymentIn, PaymentListArgs, PaymentOut, PaymentPage,
                   PersonDuesArgs, PersonDuesOut)
from .letters import (ExternalSide, IncomingLetterIn, LETTER_ACTIONS, LETTER_STATUSES, LetterArgs, LetterOut,
                      LetterPatch)
from .subsidies import SubsidyIn, SubsidyListArgs, SubsidyOut, SubsidyPage
from .statistics import (BalanceOut, DevelopmentOut, MembersOut, StatisticsArgs, StatisticsOut, UnbalancedPerson)

#: each kind of step and of management action has its own payload schema: the body is one of them
ONE_OF = {StepIn: STEP_SCHEMAS, ActionIn: ACTION_SCHEMAS}
