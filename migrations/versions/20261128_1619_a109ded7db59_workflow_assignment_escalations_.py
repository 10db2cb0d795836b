"""Add assignment and closure to complaints; escalations once per threshold; district SLAs.

Revision ID: a109ded7db59
Revises: bd0a6d9c7657
Create Date: 2026-11-28 16:19:04.015149+00:00
"""

from alembic import op
import sqlalchemy as sa
import geoalchemy2


revision = 'a109ded7db59'
down_revision = 'bd0a6d9c7657'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('district_slas',
    sa.Column('district_code', sa.String(length=16), nullable=False),
    sa.Column('category_code', sa.String(length=64), nullable=False),
    sa.Column('sla_minutes', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_code'], ['categories.code'], name=op.f('fk_district_slas_category_code_categories')),
    sa.ForeignKeyConstraint(['district_code'], ['districts.code'], name=op.f('fk_district_slas_district_code_districts'), onupdate='CASCADE'),
    sa.PrimaryKeyConstraint('district_code', 'category_code', name=op.f('pk_district_slas'))
    )
    op.create_table('complaint_escalations',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('complaint_id', sa.BigInteger(), nullable=False),
    sa.Column('threshold', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("threshold IN ('due_soon', 'breached')", name=op.f('ck_complaint_escalations_threshold')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_escalations_complaint_id_complaints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_escalations')),
    sa.UniqueConstraint('complaint_id', 'threshold', name='uq_complaint_escalations_once')
    )
    op.add_column('complaints', sa.Column('assignee_id', sa.BigInteger(), nullable=True))
    op.add_column('complaints', sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('complaints', sa.Column('outcome', sa.String(length=32), nullable=True))
    op.add_column('complaints', sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f('ix_complaints_assignee_id'), 'complaints', ['assignee_id'], unique=False)
    op.create_foreign_key(op.f('fk_complaints_assignee_id_staff'), 'complaints', 'staff', ['assignee_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    op.drop_constraint(op.f('fk_complaints_assignee_id_staff'), 'complaints', type_='foreignkey')
    op.drop_index(op.f('ix_complaints_assignee_id'), table_name='complaints')
    op.drop_column('complaints', 'closed_at')
    op.drop_column('complaints', 'outcome')
    op.drop_column('complaints', 'assigned_at')
    op.drop_column('complaints', 'assignee_id')
    op.drop_table('complaint_escalations')
    op.drop_table('district_slas')
