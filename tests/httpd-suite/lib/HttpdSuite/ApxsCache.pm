# SPDX-License-Identifier: MIT
package HttpdSuite::ApxsCache;
# Loaded into each test file's perl (tap-run.pl: perl -MHttpdSuite::ApxsCache).
#
# Apache::TestConfig::apxs() remembers an answer of apxs -q only when it is
# non-empty. Debian's apxs answers PREFIX with an empty string, and
# Apache::Test asks for it once per LoadModule line of the httpd.conf it
# inherits, in every test file: with every module loaded that is ~110 apxs
# runs per file, seconds of each file's time on a busy machine. This makes
# it remember the empty answers too, for the queries that accept one; the
# answers themselves still come from apxs.
use strict;
use warnings;
use Apache::TestConfig ();

my $apxs = \&Apache::TestConfig::apxs;
my %empty;

{
    no warnings 'redefine';
    *Apache::TestConfig::apxs = sub {
        my ($self, $q, $ok_fail) = @_;
        return $apxs->(@_) unless $ok_fail && $self->{APXS};
        return '' if $empty{ $self->{APXS} }{$q};
        my $val = $apxs->(@_);
        $empty{ $self->{APXS} }{$q} = 1 unless exists $self->{_apxs}{$q};
        return $val;
    };
}

1;
