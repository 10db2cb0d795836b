"""Create the notification outbox, push subscriptions, incoming texts and ratings.

Revision ID: a24a4d0c5970
Revises: c3f9a8d25e61
Create Date: 2026-11-28 15:50:37.519295+00:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = 'a24a4d0c5970'
down_revision = 'c3f9a8d25e61'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('push_subscriptions',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('staff_id', sa.BigInteger(), nullable=False),
    sa.Column('endpoint', sa.Text(), nullable=False),
    sa.Column('p256dh', sa.String(length=200), nullable=False),
    sa.Column('auth', sa.String(length=64), nullable=False),
    sa.Column('user_agent', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_push_subscriptions_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_subscriptions')),
    sa.UniqueConstraint('endpoint', name=op.f('uq_push_subscriptions_endpoint'))
    )
    op.create_index(op.f('ix_push_subscriptions_staff_id'), 'push_subscriptions', ['staff_id'], unique=False)
    op.create_table('sms_inbound',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('gateway_id', sa.String(length=64), nullable=False),
    sa.Column('sender', sa.String(length=32), nullable=False),
    sa.Column('receiver', sa.String(length=32), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('complaint_id', sa.BigInteger(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("outcome IN ('pending', 'rating', 'complaint', 'not_understood', 'ignored', 'rate_limited')", name=op.f('ck_sms_inbound_outcome')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_sms_inbound_complaint_id_complaints'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_inbound')),
    sa.UniqueConstraint('gateway_id', name=op.f('uq_sms_inbound_gateway_id'))
    )
    op.create_index(op.f('ix_sms_inbound_sender'), 'sms_inbound', ['sender'], unique=False)
    op.create_table('notifications',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('complaint_id', sa.BigInteger(), nullable=True),
    sa.Column('event_id', sa.BigInteger(), nullable=True),
    sa.Column('inbound_id', sa.BigInteger(), nullable=True),
    sa.Column('recipient', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.BigInteger(), nullable=True),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('template', sa.String(length=32), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('provider_id', sa.String(length=128), nullable=True),
    sa.Column('parts', sa.SmallInteger(), nullable=True),
    sa.Column('dlr_status', sa.SmallInteger(), nullable=True),
    sa.Column('hold_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("channel IN ('sms', 'push')", name=op.f('ck_notifications_channel')),
    sa.CheckConstraint("state IN ('pending', 'sent', 'delivered', 'failed', 'gone')", name=op.f('ck_notifications_state')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_notifications_complaint_id_complaints'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['complaint_events.id'], name=op.f('fk_notifications_event_id_complaint_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['inbound_id'], ['sms_inbound.id'], name=op.f('fk_notifications_inbound_id_sms_inbound'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_notifications_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('complaint_id', 'event_id', 'inbound_id', 'recipient', 'channel', name='uq_notifications_once', postgresql_nulls_not_distinct=True)
    )
    op.create_index(op.f('ix_notifications_complaint_id'), 'notifications', ['complaint_id'], unique=False)
    op.create_index('ix_notifications_due', 'notifications', ['next_attempt_at'], unique=False, postgresql_where=sa.text("state = 'pending'"))
    op.create_table('satisfaction_ratings',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('complaint_id', sa.BigInteger(), nullable=False),
    sa.Column('score', sa.SmallInteger(), nullable=False),
    sa.Column('inbound_id', sa.BigInteger(), nullable=True),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('score BETWEEN 1 AND 5', name=op.f('ck_satisfaction_ratings_score')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_satisfaction_ratings_complaint_id_complaints'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['inbound_id'], ['sms_inbound.id'], name=op.f('fk_satisfaction_ratings_inbound_id_sms_inbound'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_satisfaction_ratings')),
    sa.UniqueConstraint('complaint_id', name=op.f('uq_satisfaction_ratings_complaint_id'))
    )


def downgrade() -> None:
    op.drop_table('satisfaction_ratings')
    op.drop_index('ix_notifications_due', table_name='notifications', postgresql_where=sa.text("state = 'pending'"))
    op.drop_index(op.f('ix_notifications_complaint_id'), table_name='notifications')
    op.drop_table('notifications')
    op.drop_index(op.f('ix_sms_inbound_sender'), table_name='sms_inbound')
    op.drop_table('sms_inbound')
    op.drop_index(op.f('ix_push_subscriptions_staff_id'), table_name='push_subscriptions')
    op.drop_table('push_subscriptions')
