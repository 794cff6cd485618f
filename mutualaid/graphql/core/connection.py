import graphene


class CountableConnection(graphene.relay.Connection):
    """A relay connection with the total number of items, for pagination controls."""

    class Meta:
        abstract = True

    total_count = graphene.Int(required=True, description="符合条件的总条数")

    def resolve_total_count(root, info):
        # DjangoConnectionField has already counted the queryset once for slicing.
        return root.length
