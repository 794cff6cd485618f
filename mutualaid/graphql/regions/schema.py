"""Regions (行政区划): provinces, cities, counties and townships, readable by any signed-in user."""

from __future__ import annotations

import graphene
from graphene_django import DjangoConnectionField, DjangoObjectType

from mutualaid.graphql.core.connection import CountableConnection
from mutualaid.graphql.core.loaders import by_pk_loader, get_loader
from mutualaid.graphql.core.node import Node
from mutualaid.graphql.core.permissions import permission_required
from mutualaid.platform.accounts.permissions import READ_REGIONS, Target
from mutualaid.platform.regions.models import City, County, Province, Township


def _platform(info, *args, **kwargs) -> Target:
    return Target.platform()


def _search(queryset, search: str | None):
    if search:
        queryset = queryset.filter(code__startswith=search) | queryset.filter(name__contains=search)
    return queryset


def _provinces_by_city(city_ids: list) -> list:
    cities = City.objects.select_related("province").in_bulk(city_ids)
    return [cities[city_id].province for city_id in city_ids]


class ProvinceType(DjangoObjectType):
    class Meta:
        model = Province
        name = "Province"
        fields = ("code", "name")
        interfaces = (Node,)
        connection_class = CountableConnection


class CityType(DjangoObjectType):
    province = graphene.Field(ProvinceType, required=True)

    class Meta:
        model = City
        name = "City"
        fields = ("code", "name")
        interfaces = (Node,)
        connection_class = CountableConnection

    def resolve_province(city, info):
        return by_pk_loader(info, Province).load(city.province_id)


class CountyType(DjangoObjectType):
    city = graphene.Field(CityType, required=True)
    province = graphene.Field(ProvinceType, required=True)

    class Meta:
        model = County
        name = "County"
        fields = ("code", "name")
        interfaces = (Node,)
        connection_class = CountableConnection

    def resolve_city(county, info):
        return by_pk_loader(info, City).load(county.city_id)

    def resolve_province(county, info):
        return get_loader(info, "province_by_city", _provinces_by_city).load(county.city_id)


class TownshipType(DjangoObjectType):
    county = graphene.Field(CountyType, required=True)

    class Meta:
        model = Township
        name = "Township"
        fields = ("code", "name")
        interfaces = (Node,)
        connection_class = CountableConnection

    def resolve_county(township, info):
        return by_pk_loader(info, County).load(township.county_id)


class RegionQueries(graphene.ObjectType):
    provinces = DjangoConnectionField(ProvinceType, search=graphene.String())
    cities = DjangoConnectionField(CityType, province_code=graphene.String(), search=graphene.String())
    counties = DjangoConnectionField(CountyType, city_code=graphene.String(), search=graphene.String())
    townships = DjangoConnectionField(TownshipType, county_code=graphene.String(), search=graphene.String())

    @permission_required(READ_REGIONS, _platform)
    def resolve_provinces(root, info, search=None, **kwargs):
        return _search(Province.objects.all(), search)

    @permission_required(READ_REGIONS, _platform)
    def resolve_cities(root, info, province_code=None, search=None, **kwargs):
        queryset = City.objects.all()
        if province_code:
            queryset = queryset.filter(province__code=province_code)
        return _search(queryset, search)

    @permission_required(READ_REGIONS, _platform)
    def resolve_counties(root, info, city_code=None, search=None, **kwargs):
        queryset = County.objects.all()
        if city_code:
            queryset = queryset.filter(city__code=city_code)
        return _search(queryset, search)

    @permission_required(READ_REGIONS, _platform)
    def resolve_townships(root, info, county_code=None, search=None, **kwargs):
        queryset = Township.objects.all()
        if county_code:
            queryset = queryset.filter(county__code=county_code)
        return _search(queryset, search)
