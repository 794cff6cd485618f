"""The run-dry probability beside fund health on a dashboard's town line (from the rollup row: the latest
simulation of the town's published table, never simulated while answering)."""

from __future__ import annotations

import graphene

from mutualaid.graphql.core.values import yuan


class SolvencyFields:
    """Fields of a town line (the object has ``rollup``)."""

    run_dry_probability_percent = graphene.Float(
        description="资金用尽概率（%）：按已发布的补助表模拟，保障期结束前资金用完的概率；未模拟为空"
    )
    expected_carry_over = graphene.String(description="预计结转下年（元）")
    solvency_policy_version = graphene.Int(description="模拟所依据的已发布政策版本号")
    solvency_computed_at = graphene.DateTime(description="模拟时间")

    @staticmethod
    def resolve_run_dry_probability_percent(line, info):
        bp = line.rollup.run_dry_bp
        return None if bp is None else round(bp / 100, 2)

    @staticmethod
    def resolve_expected_carry_over(line, info):
        value = line.rollup.expected_carry_over_fen
        return None if value is None else yuan(value)

    @staticmethod
    def resolve_solvency_policy_version(line, info):
        return line.rollup.solvency_policy_version

    @staticmethod
    def resolve_solvency_computed_at(line, info):
        return line.rollup.solvency_computed_at
