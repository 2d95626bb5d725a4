"""Request and response schemas of the org service, one module per resource.

Everything is re-exported here: ``from .schemas import UnitIn`` reads the same as before the split.
"""
from __future__ import annotations

from .common import CODE, DOMAINS, HEADCOUNT, PERIOD_EARLIEST, PERIOD_LATEST, PERIOD_MAX_YEARS, PeriodArgs
from .units import (COVERED_UNITS, DissolveIn, MoveIn, RosterOut, RosterPage, UNIT_STATUSES, UnitIn, UnitListArgs,
                    UnitOut, UnitPage, UnitPatch)
from .support import (FUND_AMOUNT, FUND_SOURCES, FundIn, FundOut, OrganizerIn, OrganizerOut, SupportIn, SupportOut,
                      VENUE_AREA)
from .uncovered import UNCOVERED_STATUSES, UncoveredIn, UncoveredListArgs, UncoveredOut, UncoveredPage, UncoveredPatch
from .committees import (ApprovalIn, ByElectionIn, CommitteeOut, CommitteePage, EarlyApprovalIn, ElectionIn,
                         ExtensionIn, SeatIn, SeatOut, TermListArgs, TermOut, TermPage, TermRowOut, VacancyIn)
from .groups import GroupIn, GroupList, GroupMemberIn, GroupMemberOut, GroupOut
from .meetings import (AgendaItemIn, AttendeeIn, FollowUpIn, LifeOut, LifeTypeOut, LifeUnitOut, MeetingIn,
                       MeetingListArgs, MeetingOut, MeetingPage, MeetingPatch)
from .liaison import (LeaderIn, LeaderListArgs, LeaderOut, LeaderPage, LeaderPatch, LiaisonIn, LiaisonListArgs,
                      LiaisonOut, LiaisonPage, LiaisonPatch, RatingOut)
from .compliance import ComplianceArgs, ComplianceOut, ComplianceRuleArgs, OffenderOut, OffenderPage, RuleReportOut
from .imports import ImportArgs, ImportOut
from .standing import (HearingIn, HearingListArgs, HearingOut, HearingPage, HearingPatch, RaisedPointIn,
                       RaisedPointOut, ReserveCandidateIn, ReserveCandidateOut, ReserveCandidatePage,
                       ReserveCandidatePatch, ReserveListArgs, ScreeningIn, ScreeningListArgs, ScreeningOut,
                       ScreeningPage, ScreeningPatch, ScreeningRecordIn, ScreeningRecordOut, ScreeningRecordPage,
                       ScreeningRecordPatch, SecretaryReportIn, SecretaryReportListArgs, SecretaryReportOut,
                       SecretaryReportPage, SecretaryReportPatch, UnderArgs)
from .statistics import (BranchesOut, KindSectorCount, OrganizationsOut, OrgStatisticsArgs, OrgStatisticsOut,
                         TermsOut)
